//! 评价结果全公开 (`/public`): every department's results for a quarter or
//! a month, for anyone, without signing in. Citizen look: large text,
//! 长辈模式 and English from the shared toolbar; the figures (and their
//! headings) are the server's, in Chinese.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::rating_flow::CitizenToolbar;
use app::api::client::ClientError;
use app::api::endpoints::reports;
use app::api::types::Report;
use app::i18n::{prefs, texts};
use app::web::china_today;
use app::widgets::report::{Period, PeriodPicker, ReportTable, Sort};
use domain::calendar::Date;

fn message(e: &ClientError, en: bool) -> String {
    match e {
        ClientError::Api { body, .. } if en => body.error.message_en.clone(),
        ClientError::Network(_) if en => {
            "Cannot reach the server (network down or server not running)".into()
        }
        _ => e.message(),
    }
}

#[component]
pub fn PublicPage() -> impl IntoView {
    let t = texts();
    let p = prefs();
    let en = Signal::derive(move || t.get().lang_code == "en");
    let query = use_query_map();
    let navigate = use_navigate();
    let today: RwSignal<Option<Date>> = RwSignal::new(None);
    let report: RwSignal<Option<Report>> = RwSignal::new(None);
    let error: RwSignal<Option<ClientError>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let sort: RwSignal<Sort> = RwSignal::new(None);
    let picked: RwSignal<Option<Period>> = RwSignal::new(None);

    let period = Memo::new(move |_| {
        Period::from_query(&query.read()).or_else(|| today.get().map(Period::quarter_of))
    });
    Effect::new(move |_| today.set(Some(china_today())));

    let issued = RwSignal::new(0u64);
    Effect::new(move |_| {
        let Some(p) = period.get() else {
            return;
        };
        issued.update(|n| *n += 1);
        let mine = issued.get_untracked();
        loading.set(true);
        spawn_local(async move {
            let answer = reports::public_results(&p).await;
            if issued.get_untracked() != mine {
                return;
            }
            loading.set(false);
            match answer {
                Ok(r) => {
                    error.set(None);
                    report.set(Some(r));
                }
                Err(e) => {
                    report.set(None);
                    error.set(Some(e));
                }
            }
        });
    });
    Effect::new(move |_| {
        if let Some(p) = picked.get() {
            navigate(
                &format!("/public?{}", p.query()),
                NavigateOptions::default(),
            );
        }
    });

    let table = move || {
        let r = report.get()?;
        let en = en.get();
        let label = period.get().map(|p| p.label(en)).unwrap_or_default();
        let caption = if en {
            format!("{} ({label}: {} to {})", r.title, r.from, r.to)
        } else {
            format!("{}（{label}：{} 至 {}）", r.title, r.from, r.to)
        };
        Some(view! { <ReportTable report=r caption=caption sort=sort en=en/> })
    };

    view! {
        <Title text="评价结果公开 · 好差评"/>
        <div class="citizen public-page" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            <section class="page public">
                <h1>{move || if en.get() { "Government service ratings: results" } else { "政务服务“好差评”评价结果公开" }}</h1>
                <p class="lead">{move || if en.get() {
                    "How each department was rated by the people it served. Click a heading to sort."
                } else {
                    "各部门办事群众的评价结果，按季度或按月公开。点击表头可排序。"
                }}</p>
                <PeriodPicker current=period.into() today=today.into() picked=picked allow_range=false en=en/>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{message(&e, en.get())}</p> })}
                <Show when=move || loading.get() && report.with(|r| r.is_none())>
                    <p role="status" data-testid="report-loading">{move || t.get().loading}</p>
                </Show>
                {table}
                <section class="public-explain" data-testid="public-explain">
                    <h2>{move || if en.get() { "What is counted" } else { "统计口径" }}</h2>
                    {move || if en.get() {
                        view! {
                            <ul>
                                <li>"Only valid ratings are counted, on every channel: kiosks, window pads, QR codes, phones, PCs, SMS, the 12345 hotline and paper forms."</li>
                                <li>"Not counted: ratings found invalid or malicious after review, and ratings suspected of fraud (for example many ratings from one device in a short time) until a supervisor has reviewed them."</li>
                                <li>"Rates are shown with two decimals; “/” means there was nothing to divide by."</li>
                            </ul>
                        }.into_any()
                    } else {
                        view! {
                            <ul>
                                <li>"只统计有效评价，包括自助终端、窗口评价器、二维码、手机和电脑、短信、12345热线及书面评价表等各渠道。"</li>
                                <li>"不计入：经核实认定为无效或恶意的评价；疑似刷评（如同一设备短时间内大量评价）且尚未经督查复核的评价。"</li>
                                <li>"比率保留两位小数；“/”表示该项没有可计算的基数。"</li>
                            </ul>
                        }.into_any()
                    }}
                </section>
            </section>
        </div>
    }
}
