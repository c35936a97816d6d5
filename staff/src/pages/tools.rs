//! Staff tools: entering paper forms and phone ratings (fast with a
//! keyboard), device registration and enrolment, the QR posters (展示牌)
//! and the CSV import of cases.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::pages::common::{csrf, roles, use_session_for, StaffNav, StaffPage};
use app::api::endpoints::{admin, cases, devices, staff as staff_api};
use app::api::types::{
    DeviceView, EnrolmentCode, ImportReport, Poster, RegisterDevice, RowError, StaffEntry,
};
use app::web;
use domain::case::{EvaluatorType, RatingKind};
use domain::rating::new_rating_id;
use domain::time::china_time;
use domain::{Channel, CodeMap, ReasonTag};

/// Today in China, `YYYY-MM-DD` (one time zone on every staff page).
fn today() -> String {
    domain::calendar::Date::of_instant(web::now_ms()).to_string()
}

/// When a form dated `YYYY-MM-DD` was filled in: noon China time of that
/// day, or now for a form dated today (noon may not have come yet).
fn time_of(date: &str) -> Option<i64> {
    let d = domain::calendar::Date::parse(date)?;
    Some((d.start_ms() + 12 * 3_600_000).min(web::now_ms()))
}

/// 书面评价表 / 电话 entry. Keys: type the GB/T 39046 code 1–5 for the level
/// (1 非常满意 … 5 非常不满意), Enter submits, the next form starts with the
/// cursor in the case number and the channel, date and window kept.
#[component]
pub fn EntryPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let session = use_session_for(roles::HANDLERS, error, |_| {});
    let channel = RwSignal::new(Channel::Paper);
    let date = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let case_no = RwSignal::new(String::new());
    let level_code = RwSignal::new(String::new());
    let reasons: RwSignal<Vec<ReasonTag>> = RwSignal::new(vec![]);
    let comment = RwSignal::new(String::new());
    let evaluator_type: RwSignal<Option<EvaluatorType>> = RwSignal::new(None);
    let entered: RwSignal<Vec<(String, String)>> = RwSignal::new(vec![]);
    let form_id = RwSignal::new(Uuid::nil());
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        date.set(today());
        form_id.set(new_rating_id(web::now_ms() as u64, &web::random_10()));
    });
    let level = move || {
        level_code
            .with(|c| c.trim().parse::<u8>().ok())
            .and_then(|c| CodeMap::Gbt39046.decode(c))
    };
    let focus_case = move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("[data-testid=entry-case]").ok().flatten())
        {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(level) = level() else {
            error.set(Some(
                "请输入评价等级代码 1–5（1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意）"
                    .into(),
            ));
            return;
        };
        let entry = StaffEntry {
            id: form_id.get_untracked(),
            channel: channel.get_untracked(),
            level,
            case_no: Some(case_no.get_untracked()).filter(|s| !s.trim().is_empty()),
            window_code: Some(window.get_untracked()).filter(|s| !s.trim().is_empty()),
            reasons: if level.is_bad() {
                reasons.get_untracked()
            } else {
                vec![]
            },
            // 意见建议 on a form of any level are kept (seed 001 三(四)).
            comment: comment.get_untracked(),
            evaluator_phone: None,
            evaluator_type: evaluator_type.get_untracked(),
            rated_at: time_of(&date.get_untracked()),
        };
        busy.set(true);
        spawn_local(async move {
            match staff_api::add_entry(&csrf(session), &entry).await {
                Ok(r) => {
                    error.set(None);
                    let kind = match r.kind {
                        Some(RatingKind::FollowUp) => "追加评价",
                        _ => "已录入",
                    };
                    entered.update(|e| {
                        e.insert(
                            0,
                            (
                                format!(
                                    "{} {}",
                                    entry
                                        .case_no
                                        .clone()
                                        .unwrap_or_else(|| "（无办件编号）".into()),
                                    level.label_zh()
                                ),
                                kind.into(),
                            ),
                        )
                    });
                    form_id.set(new_rating_id(web::now_ms() as u64, &web::random_10()));
                    case_no.set(String::new());
                    level_code.set(String::new());
                    reasons.set(vec![]);
                    comment.set(String::new());
                    evaluator_type.set(None);
                    focus_case();
                }
                // Nothing typed is lost: the form keeps its content and id.
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <Title text="录入评价 · 好差评"/>
        <StaffPage title=Signal::derive(|| "录入书面评价表 / 电话评价".to_string()) class="">
            <p class="hint">"等级键入 1–5（1 非常满意 … 5 非常不满意），回车提交并开始下一份。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="entry-error">{e}</p> })}
            <form class="form entry" on:submit=submit>
                <div class="row">
                    <label><span>"渠道"</span>
                        <select data-testid="entry-channel" on:change=move |ev| channel.set(Channel::parse(&event_target_value(&ev)).unwrap_or(Channel::Paper))>
                            <option value="paper" selected>"书面评价表"</option>
                            <option value="phone">"电话/12345"</option>
                        </select></label>
                    <label><span>"评价日期"</span>
                        <input type="date" data-testid="entry-date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev))/></label>
                    <label><span>"窗口编码（选填）"</span>
                        <input data-testid="entry-window" prop:value=move || window.get() on:input=move |ev| window.set(event_target_value(&ev))/></label>
                </div>
                <div class="row">
                    <label><span>"办件编号（选填）"</span>
                        <input data-testid="entry-case" autofocus prop:value=move || case_no.get() on:input=move |ev| case_no.set(event_target_value(&ev))/></label>
                    <label><span>"等级代码 1–5"</span>
                        <input data-testid="entry-level" inputmode="numeric" maxlength="1" prop:value=move || level_code.get() on:input=move |ev| level_code.set(event_target_value(&ev))/></label>
                    <span class="level-echo" data-testid="entry-level-label">{move || level().map(|l| l.label_zh()).unwrap_or("")}</span>
                </div>
                <Show when=move || level().is_some_and(|l| l.is_bad())>
                    <fieldset class="reasons-inline"><legend>"差评原因"</legend>
                        {ReasonTag::ALL.into_iter().map(|r| view! {
                            <label class="check"><input type="checkbox" data-testid=format!("entry-reason-{}", r.as_str())
                                prop:checked=move || reasons.with(|v| v.contains(&r))
                                on:change=move |_| reasons.update(|v| if let Some(i) = v.iter().position(|x| *x == r) { v.remove(i); } else { v.push(r); })/>
                            {r.label_zh()}</label>
                        }).collect_view()}
                    </fieldset>
                </Show>
                <div class="row">
                    <label><span>"意见建议（选填）"</span>
                        <input data-testid="entry-comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/></label>
                    <label><span>"评价人类型（选填）"</span>
                        <select data-testid="entry-evaluator-type"
                            on:change=move |ev| evaluator_type.set(EvaluatorType::parse(&event_target_value(&ev)))>
                            <option value="" selected=move || evaluator_type.get().is_none()>"未填写"</option>
                            {EvaluatorType::ALL.into_iter().map(|t| view! {
                                <option value=t.as_str() selected=move || evaluator_type.get() == Some(t)>{t.label_zh()}</option>
                            }).collect_view()}
                        </select></label>
                </div>
                <button class="primary" type="submit" data-testid="entry-submit" disabled=move || busy.get()>"提交（回车）"</button>
            </form>
            <p data-testid="entry-count">{move || format!("本次已录入 {} 份", entered.with(Vec::len))}</p>
            <ul data-testid="entry-list">
                {move || entered.get().into_iter().map(|(what, kind)| view! { <li>{format!("{what} · {kind}")}</li> }).collect_view()}
            </ul>
        </StaffPage>
    }
}

/// Devices: register a kiosk (place) or window pad (window), give its
/// one-time enrolment code, revoke it.
#[component]
pub fn DevicesPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let devices: RwSignal<Vec<DeviceView>> = RwSignal::new(vec![]);
    let reload = move || {
        spawn_local(async move {
            match devices::devices().await {
                Ok(d) => devices.set(d),
                Err(e) => error.set(Some(e.message())),
            }
        })
    };
    let session = use_session_for(roles::DEVICES, error, move |_| reload());
    let code = RwSignal::new(String::new());
    let kind = RwSignal::new("kiosk".to_string());
    let place = RwSignal::new("HALL-DC".to_string());
    let window = RwSignal::new(String::new());
    let dimension_set = RwSignal::new(domain::DEFAULT_DIMENSION_SET.code.to_string());
    let issued: RwSignal<Option<EnrolmentCode>> = RwSignal::new(None);
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = RegisterDevice {
            code: code.get_untracked(),
            kind: kind.get_untracked(),
            place_code: place.get_untracked(),
            window_code: Some(window.get_untracked()),
            dimension_set: Some(dimension_set.get_untracked()),
        };
        spawn_local(async move {
            match devices::register_device(&csrf(session), &req).await {
                Ok(c) => {
                    error.set(None);
                    issued.set(Some(c));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    // A new enrolment code, or (`revoke`) the device stopped.
    let action = move |code: String, revoke: bool| {
        spawn_local(async move {
            let answer = if revoke {
                devices::revoke_device(&csrf(session), &code)
                    .await
                    .map(|()| None)
            } else {
                devices::new_enrolment(&csrf(session), &code)
                    .await
                    .map(Some)
            };
            match answer {
                Ok(c) => {
                    error.set(None);
                    if let Some(c) = c {
                        issued.set(Some(c));
                    }
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let set_voice = move |code: String, on: bool| {
        spawn_local(async move {
            match devices::set_device_voice(&csrf(session), &code, on).await {
                Ok(_) => reload(),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    view! {
        <Title text="设备管理 · 好差评"/>
        <StaffPage title=Signal::derive(|| "评价设备".to_string()) class="">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="devices-error">{e}</p> })}
            {move || issued.get().map(|c| view! {
                <div class="issued" data-testid="enrol-issued" data-code=c.enrol_code.clone()>
                    <p>{format!("设备 {} 的启用码：", c.device_code)}<strong data-testid="enrol-code-value">{c.enrol_code.clone()}</strong>"（24 小时内有效，只能使用一次）"</p>
                    <p>{format!("在设备上打开 {} 并输入启用码，或扫码：", c.path)}</p>
                    <img alt="设备地址二维码" width="200" height="200" src=format!("/qr.svg?path={}", js_sys::encode_uri_component(&c.path))/>
                </div>
            })}
            <form class="form row" on:submit=register>
                <label><span>"设备编号"</span><input data-testid="device-code" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/></label>
                <label><span>"类型"</span>
                    <select data-testid="device-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="kiosk" selected>"自助终端（绑定场所）"</option>
                        <option value="window_pad">"窗口评价器（绑定窗口）"</option>
                    </select></label>
                <label><span>"场所编码"</span><input data-testid="device-place" prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev))/></label>
                <label><span>"窗口编码"</span><input data-testid="device-window" prop:value=move || window.get() on:input=move |ev| window.set(event_target_value(&ev))/></label>
                <label><span>"分项评价指标"</span>
                    <select data-testid="device-dimension-set" on:change=move |ev| dimension_set.set(event_target_value(&ev))>
                        {domain::catalog::DIMENSION_SETS.iter().map(|s| view! {
                            <option value=s.code selected=move || dimension_set.get() == s.code>{s.label_zh}</option>
                        }).collect_view()}
                    </select></label>
                <button class="primary" type="submit" data-testid="device-register">"登记并生成启用码"</button>
            </form>
            <table class="inbox devices-table" data-testid="devices">
                <thead><tr><th>"编号"</th><th>"类型"</th><th>"场所 / 窗口"</th><th>"状态"</th><th>"最近联络"</th><th>"语音提示"</th><th></th></tr></thead>
                <tbody>
                    {move || devices.get().into_iter().map(|d| {
                        let c1 = d.code.clone();
                        let c2 = d.code.clone();
                        let c3 = d.code.clone();
                        let silent = d.silent(web::now_ms());
                        let voice = d.voice;
                        view! {
                            <tr data-testid="device-row" data-code=d.code.clone() data-state=d.state.clone() class:is-silent=silent data-silent=silent.to_string()>
                                <td>{d.code.clone()}</td>
                                <td>{if d.kind == "kiosk" { "自助终端" } else { "窗口评价器" }}</td>
                                <td>{match &d.window_name { Some(w) => format!("{} / {w}", d.place_name), None => d.place_name.clone() }}</td>
                                <td>{match d.state.as_str() { "enrolled" => "已启用", "revoked" => "已停用", _ => "待启用" }}</td>
                                <td data-testid="device-last-seen">
                                    {d.last_seen_at.map(china_time).unwrap_or_else(|| "从未联络".into())}
                                    {silent.then(|| view! { <span class="badge overdue" data-testid="device-silent">"超过一天未联络"</span> })}
                                </td>
                                <td>
                                    <label class="check"><input type="checkbox" data-testid="device-voice" prop:checked=voice
                                        on:change=move |_| set_voice(c3.clone(), !voice)/>{if voice { "开" } else { "关" }}</label>
                                </td>
                                <td>
                                    <button class="secondary" on:click=move |_| action(c1.clone(), false)>"新启用码"</button>
                                    <button class="secondary" data-testid="revoke" on:click=move |_| action(c2.clone(), true)>"停用"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </StaffPage>
    }
}

/// 展示牌: one printable poster per place and per window with its static QR
/// code. Print CSS lays out one poster per A4 or A5 page.
#[component]
pub fn PostersPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let posters: RwSignal<Vec<Poster>> = RwSignal::new(vec![]);
    let a5 = RwSignal::new(false);
    let _session = use_session_for(roles::DEVICES, error, move |_| {
        spawn_local(async move {
            match admin::posters().await {
                Ok(p) => posters.set(p),
                Err(e) => error.set(Some(e.message())),
            }
        })
    });
    view! {
        <Title text="评价展示牌 · 好差评"/>
        <section class="page staff posters-page" class:a5=move || a5.get()>
            <div class="no-print">
                <h1>"评价二维码展示牌"</h1>
                <StaffNav/>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <label class="check"><input type="checkbox" data-testid="poster-a5" prop:checked=move || a5.get() on:change=move |_| a5.update(|v| *v = !*v)/>"A5 尺寸（默认 A4）"</label>
                <button class="primary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>"打印"</button>
            </div>
            <style inner_html=move || if a5.get() { "@page { size: A5; margin: 10mm; }" } else { "@page { size: A4; margin: 15mm; }" }></style>
            {move || posters.get().into_iter().map(|p| view! {
                <article class="poster" data-testid="poster" data-path=p.path.clone()>
                    <h2>"政务服务“好差评”"</h2>
                    <p class="poster-place">{p.place_name.clone()}</p>
                    {p.window_name.clone().map(|w| view! { <p class="poster-window">{w}</p> })}
                    <img alt="扫码评价" src=format!("/qr.svg?path={}", js_sys::encode_uri_component(&p.path))/>
                    <p class="poster-call">"请用手机扫码，对我们的服务作出评价"</p>
                    <p class="poster-note">"无需登录 · 您的评价将直接送达监督部门"</p>
                </article>
            }).collect_view()}
        </section>
    }
}

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
