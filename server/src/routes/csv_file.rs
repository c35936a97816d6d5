//! Reading an uploaded CSV file (case import, organisation import): UTF-8
//! with or without a BOM, a header whose columns are checked, and rows that
//! keep the file's line numbers so the report points at the right line.

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
