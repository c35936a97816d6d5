//! The unit 好差评 administrator's inbox: bad ratings, newest first, and
//! the 意见建议 given with ratings that are not bad, filed by topic (seed
//! 001 三(四): 对好评建议进行分类分析). By construction (`RatingView`) it
//! never carries the evaluator's identity.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{roles, use_session_for, StaffPage};
use app::api::endpoints::staff as api;
use app::api::types::{RatingView, SuggestionList};
use domain::suggestion::Topic;
use domain::time::china_time;

fn place_of(r: &RatingView) -> String {
    match &r.window_name {
        Some(w) => format!("{} / {}", r.place_name, w),
        None => r.place_name.clone(),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let items: RwSignal<Option<Vec<RatingView>>> = RwSignal::new(None);
    let suggestions: RwSignal<Option<SuggestionList>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    // false: 差评; true: 意见建议.
    let tab = RwSignal::new(false);
    let topic: RwSignal<Option<Topic>> = RwSignal::new(None);
    use_session_for(roles::READERS, error, move |_| {
        spawn_local(async move {
            match api::inbox().await {
                Ok(list) => items.set(Some(list)),
                Err(e) => error.set(Some(e.message())),
            }
        });
        spawn_local(async move {
            match api::suggestions().await {
                Ok(list) => suggestions.set(Some(list)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });

    let bad_list = move || {
        match items.get() {
        None => view! { <p>"正在加载…"</p> }.into_any(),
        Some(list) if list.is_empty() => view! { <p data-testid="inbox-empty">"暂无差评。"</p> }.into_any(),
        Some(list) => view! {
            <table class="inbox" data-testid="inbox">
                <thead><tr>
                    <th>"评价时间"</th><th>"等级"</th><th>"场所 / 窗口"</th><th>"渠道"</th><th>"原因"</th><th>"意见"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|r| view! {
                        <tr data-testid="inbox-row" data-id=r.id.to_string()>
                            <td>{china_time(r.rated_at)}</td>
                            <td class="bad">{r.level.label_zh()}</td>
                            <td>{place_of(&r)}</td>
                            <td>{r.channel.label_zh()}</td>
                            <td>{r.reasons.iter().map(|x| x.label_zh()).collect::<Vec<_>>().join("、")}</td>
                            <td class="comment-cell">{r.comment.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
    }
    };

    let suggestion_list = move || match suggestions.get() {
        None => view! { <p>"正在加载…"</p> }.into_any(),
        Some(list) if list.items.is_empty() => {
            view! { <p data-testid="suggestions-empty">"暂无意见建议。"</p> }.into_any()
        }
        Some(list) => {
            let chosen = topic.get();
            view! {
                <div class="topic-filter" role="group" aria-label="按类别筛选" data-testid="topics">
                    <button class="secondary" aria-pressed=chosen.is_none().to_string()
                        on:click=move |_| topic.set(None)>{format!("全部（{}）", list.items.len())}</button>
                    {list.counts.iter().filter(|c| c.count > 0).map(|c| {
                        let t = c.topic;
                        view! {
                            <button class="secondary" data-testid=format!("topic-{}", t.as_str())
                                aria-pressed=(chosen == Some(t)).to_string()
                                on:click=move |_| topic.set(Some(t))>{format!("{}（{}）", c.label, c.count)}</button>
                        }
                    }).collect_view()}
                </div>
                <table class="inbox" data-testid="suggestions">
                    <thead><tr>
                        <th>"评价时间"</th><th>"类别"</th><th>"等级"</th><th>"场所 / 窗口"</th><th>"渠道"</th><th>"意见建议"</th>
                    </tr></thead>
                    <tbody>
                        {list.items.into_iter().filter(|s| chosen.is_none_or(|t| s.topic == t)).map(|s| {
                            let r = s.rating;
                            view! {
                                <tr data-testid="suggestion-row" data-topic=s.topic.as_str()>
                                    <td>{china_time(r.rated_at)}</td>
                                    <td>{s.topic.label_zh()}</td>
                                    <td>{r.level.label_zh()}</td>
                                    <td>{place_of(&r)}</td>
                                    <td>{r.channel.label_zh()}</td>
                                    <td class="comment-cell">{r.comment.clone()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }
    };

    view! {
        <Title text="差评待办 · 好差评"/>
        <StaffPage title=Signal::derive(|| "差评待办与意见建议".to_string())>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="tabs" role="tablist">
                <button role="tab" data-testid="tab-bad" aria-selected=move || (!tab.get()).to_string()
                    class:primary=move || !tab.get() on:click=move |_| tab.set(false)>"差评"</button>
                <button role="tab" data-testid="tab-suggestions" aria-selected=move || tab.get().to_string()
                    class:primary=move || tab.get() on:click=move |_| tab.set(true)>"意见建议"</button>
            </div>
            {move || if tab.get() { suggestion_list().into_any() } else { bad_list().into_any() }}
        </StaffPage>
    }
}
