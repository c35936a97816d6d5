//! CSV in and out. Reading an uploaded file (case import, organisation
//! import): UTF-8 with or without a BOM, a header whose columns are checked,
//! and rows that keep the file's line numbers so the report points at the
//! right line. Writing (reports, the ratings export, the ledger): every
//! cell through [`safe_cell`], so a comment typed as `=HYPERLINK(…)` stays
//! text in Excel or WPS.

use app::api::types::RowError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;

use crate::error::ApiError;

pub struct CsvFile {
    header: Vec<String>,
    /// (line in the file, the row or why it could not be read)
    pub rows: Vec<(usize, Result<csv::StringRecord, csv::Error>)>,
}

fn header_error(zh: String, en: String) -> ApiError {
    ApiError::Unprocessable {
        code: "csv_header",
        zh,
        en,
    }
}

impl CsvFile {
    /// Reads the body; `first_line` is the line number of the first row
    /// (2 for a whole file: the header is line 1).
    pub fn read(
        body: Result<Bytes, BytesRejection>,
        limit: usize,
        known: &[&str],
        required: &[&str],
        first_line: usize,
    ) -> Result<CsvFile, ApiError> {
        let bytes = body.map_err(|_| ApiError::TooLarge { limit })?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::Unprocessable {
            code: "csv_not_utf8",
            zh: "文件不是 UTF-8 编码，请在 Excel 中另存为“CSV UTF-8”".into(),
            en: "The file is not UTF-8; save it as CSV UTF-8".into(),
        })?;
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| {
                header_error(
                    format!("无法读取表头：{e}"),
                    format!("Cannot read the header: {e}"),
                )
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if let Some(unknown) = header.iter().find(|h| !known.contains(&h.as_str())) {
            return Err(header_error(
                format!("表头中有未知的列“{unknown}”；可用的列：{}", known.join(",")),
                format!(
                    "Unknown column '{unknown}'; known columns: {}",
                    known.join(",")
                ),
            ));
        }
        if let Some(missing) = required.iter().find(|r| !header.iter().any(|h| h == *r)) {
            return Err(header_error(
                format!("表头缺少必需的列“{missing}”"),
                format!("The header lacks the required column '{missing}'"),
            ));
        }
        let rows = rdr
            .records()
            .enumerate()
            .map(|(i, r)| (first_line + i, r))
            .collect();
        Ok(CsvFile { header, rows })
    }

    /// The trimmed value of `column` in `row`; empty when absent.
    pub fn get(&self, row: &csv::StringRecord, column: &str) -> String {
        self.header
            .iter()
            .position(|h| h == column)
            .and_then(|i| row.get(i))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    }
}

/// The report line for a row the CSV reader could not read.
pub fn unreadable(line: usize, e: &csv::Error) -> RowError {
    RowError {
        line,
        case_no: String::new(),
        message: format!("无法读取此行：{e}"),
        message_en: format!("Unreadable row: {e}"),
    }
}

/// A cell Excel or WPS would run as a formula (`=`, `+`, `-`, `@`, a tab or
/// a carriage return first) gets a leading `'`, which they show as text.
pub fn safe_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// Writes one record with every cell made safe.
pub fn write_safe<W: std::io::Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| safe_cell(c.as_ref()).into_owned())
        .collect();
    w.write_record(&cells)
}

#[cfg(test)]
mod safe_tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_untouched() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"点我\")",
            "=1+1",
            "+86",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert!(safe_cell(bad).starts_with('\''), "{bad}");
        }
        for ok in ["好评", "12.50%", "", "a=b", "/"] {
            assert_eq!(safe_cell(ok), ok);
        }
        let mut w = csv::Writer::from_writer(vec![]);
        write_safe(&mut w, ["=1+1", "正常"]).unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner().unwrap()).unwrap(),
            "'=1+1,正常\n"
        );
    }
}
