//! 导入办件 (`/staff/import`): the CSV import of cases.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use wasm_bindgen::JsCast;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::cases;
use app::api::types::{ImportReport, RowError};

const SLICE_ROWS: usize = 500;

/// CSV import of cases for departments on private networks (seed 002): the
/// file is read in the browser and sent in slices of 500 rows, with a
/// progress bar and the bad rows listed by line.
#[component]
pub fn ImportPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let session = use_session_for(roles::DEVICES, error, |_| {});
    let done = RwSignal::new(0usize);
    let total = RwSignal::new(0usize);
    let imported = RwSignal::new(0usize);
    let errors: RwSignal<Vec<RowError>> = RwSignal::new(vec![]);
    let running = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        running.set(true);
        errors.set(vec![]);
        imported.set(0);
        done.set(0);
        spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => t.as_string().unwrap_or_default(),
                Err(_) => {
                    error.set(Some("无法读取文件".into()));
                    running.set(false);
                    return;
                }
            };
            let text = text.trim_start_matches('\u{feff}');
            let mut lines = text.lines();
            let header = lines.next().unwrap_or_default().to_string();
            let rows: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
            total.set(rows.len());
            for (i, slice) in rows.chunks(SLICE_ROWS).enumerate() {
                let body = format!("{header}\n{}", slice.join("\n"));
                let first_line = 2 + i * SLICE_ROWS;
                match cases::import_csv(&csrf(session), body, first_line).await {
                    Ok(ImportReport {
                        rows,
                        imported: n,
                        errors: errs,
                    }) => {
                        done.update(|d| *d += rows);
                        imported.update(|x| *x += n);
                        errors.update(|e| e.extend(errs));
                    }
                    Err(e) => {
                        error.set(Some(format!(
                            "第 {first_line} 行起的一批未导入：{}（已导入的行保留）",
                            e.message()
                        )));
                        break;
                    }
                }
            }
            running.set(false);
        });
    };
    view! {
        <Title text="导入办件 · 好差评"/>
        <StaffPage title=Signal::derive(|| "导入办件（CSV）".to_string()) class="">
            <p class="hint">"表头：case_no,place_code,window_code,service_item_code,status,applicant_phone,started_at,finished_at；status 为 finished 或 in_service；时间如 2026-11-20 09:30。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
            <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=on_file disabled=move || running.get()/>
            <Show when=move || { total.get() > 0 }>
                <progress data-testid="import-progress" max=move || total.get().to_string() value=move || done.get().to_string()></progress>
                <p data-testid="import-status" data-done=move || (!running.get()).to_string()>
                    {move || format!("已处理 {} / {} 行，导入 {} 行，错误 {} 行", done.get(), total.get(), imported.get(), errors.with(Vec::len))}
                </p>
            </Show>
            <Show when=move || errors.with(|e| !e.is_empty())>
                <table class="inbox" data-testid="import-errors">
                    <thead><tr><th>"行号"</th><th>"办件编号"</th><th>"原因"</th></tr></thead>
                    <tbody>
                        {move || errors.get().into_iter().map(|e| view! { <tr data-testid="import-error-row" data-line=e.line.to_string()><td>{e.line}</td><td>{e.case_no}</td><td>{e.message}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </StaffPage>
    }
}
