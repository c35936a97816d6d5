//! 节假日与调休: the special days of the working-day calendar that the
//! loop's deadlines count with. System administrators edit them; every
//! other staff member sees them read-only.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::admin;
use app::web::china_today;
use domain::calendar::{Date, DayKind, SpecialDay};
use domain::rectify::Role;
use domain::time::weekday_zh;

const YEARS: [i32; 3] = [2025, 2026, 2027];

fn kind_zh(k: DayKind) -> &'static str {
    match k {
        DayKind::Holiday => "放假",
        DayKind::Workday => "调休上班",
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let year = RwSignal::new(2026);
    let days: RwSignal<Option<Vec<SpecialDay>>> = RwSignal::new(None);
    let reload = move || {
        let y = year.get_untracked();
        spawn_local(async move {
            match admin::calendar(y).await {
                Ok(c) if c.year == year.get_untracked() => days.set(Some(c.days)),
                Ok(_) => {}
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::READERS, error, move |_| {
        let this = china_today().year;
        if YEARS.contains(&this) {
            year.set(this);
        }
        reload();
    });
    let is_admin = move || {
        session.with(|s| {
            s.as_ref()
                .and_then(|s| Role::parse(&s.role))
                .is_some_and(|r| r == Role::SystemAdmin)
        })
    };

    let date = RwSignal::new(String::new());
    let kind = RwSignal::new(DayKind::Holiday);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(d) = Date::parse(date.get_untracked().trim()) else {
            error.set(Some("请选择日期".into()));
            return;
        };
        let day = SpecialDay {
            date: d,
            kind: kind.get_untracked(),
            name: name.get_untracked().trim().to_string(),
        };
        if let Err(e) = day.validate() {
            error.set(Some(e.message_zh().into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match admin::save_special_day(&csrf(session), d, &day).await {
                Ok(saved) => {
                    error.set(None);
                    notice.set(Some(format!(
                        "已保存：{} {} {}",
                        saved.date,
                        kind_zh(saved.kind),
                        saved.name
                    )));
                    date.set(String::new());
                    name.set(String::new());
                    if saved.date.year != year.get_untracked() && YEARS.contains(&saved.date.year) {
                        year.set(saved.date.year);
                    }
                    reload();
                }
                // The form keeps what was typed.
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let remove = move |d: Date| {
        spawn_local(async move {
            match admin::delete_special_day(&csrf(session), d).await {
                Ok(()) => {
                    error.set(None);
                    notice.set(Some(format!("已删除：{d}")));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
        <Title text="节假日与调休 · 好差评"/>
        <StaffPage title=Signal::derive(|| "节假日与调休".to_string()) class="tablet calendar-page">
            <p class="hint">"差评整改的沟通、申诉期限按工作日计算：周一至周五上班，以下所列的放假日和调休上班日除外（以国务院办公厅每年的通知为准）。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="calendar-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice-ok" role="status" data-testid="calendar-notice">{n}</p> })}
            <div class="form row">
                <label><span>"年份"</span>
                    <select data-testid="calendar-year" prop:value=move || year.get().to_string() on:change=move |ev| {
                        if let Ok(y) = event_target_value(&ev).parse::<i32>() {
                            year.set(y);
                            days.set(None);
                            reload();
                        }
                    }>
                        {YEARS.into_iter().map(|y| view! { <option value=y.to_string() selected=move || year.get() == y>{format!("{y} 年")}</option> }).collect_view()}
                    </select></label>
            </div>
            <Show when=is_admin fallback=|| view! { <p class="hint" data-testid="calendar-readonly">"仅系统管理员可以修改。"</p> }>
                <form class="form row" on:submit=save data-testid="calendar-form">
                    <label><span>"日期"</span>
                        <input type="date" data-testid="calendar-date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev))/></label>
                    <label><span>"类型"</span>
                        <select data-testid="calendar-kind" prop:value=move || kind.get().as_str() on:change=move |ev| kind.set(DayKind::parse(&event_target_value(&ev)).unwrap_or(DayKind::Holiday))>
                            {[DayKind::Holiday, DayKind::Workday].into_iter().map(|k| view! { <option value=k.as_str() selected=move || kind.get() == k>{kind_zh(k)}</option> }).collect_view()}
                        </select></label>
                    <label><span>"名称"</span>
                        <input data-testid="calendar-name" maxlength="20" placeholder="如 春节、春节调休" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <button class="primary" type="submit" data-testid="calendar-save" disabled=move || busy.get()>"保存"</button>
                </form>
            </Show>
            {move || match days.get() {
                None => view! { <p>"正在加载…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p data-testid="calendar-empty">"本年度尚未录入节假日安排。"</p> }.into_any(),
                Some(list) => view! {
                    <table class="inbox" data-testid="calendar-days">
                        <thead><tr><th>"日期"</th><th>"星期"</th><th>"类型"</th><th>"名称"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|d| {
                                let edit = d.clone();
                                let day = d.date;
                                view! {
                                    <tr data-testid="calendar-day" data-date=d.date.to_string() data-kind=d.kind.as_str()>
                                        <td>{d.date.to_string()}</td>
                                        <td>{weekday_zh(d.date)}</td>
                                        <td class:bad=d.kind == DayKind::Holiday>{kind_zh(d.kind)}</td>
                                        <td>{d.name.clone()}</td>
                                        <td>
                                            <Show when=is_admin>
                                                <button class="secondary" data-testid="calendar-edit" on:click={
                                                    let edit = edit.clone();
                                                    move |_| {
                                                        date.set(edit.date.to_string());
                                                        kind.set(edit.kind);
                                                        name.set(edit.name.clone());
                                                    }
                                                }>"编辑"</button>
                                                <button class="secondary danger" data-testid="calendar-delete" on:click=move |_| remove(day)>"删除"</button>
                                            </Show>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </StaffPage>
    }
}
