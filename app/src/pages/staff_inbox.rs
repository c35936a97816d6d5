//! The unit 好差评 administrator's inbox: bad ratings, newest first. By
//! construction (`RatingView`) it never carries the evaluator's identity.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::api::client;
use crate::api::types::RatingView;
use crate::components::china_time;
use crate::pages::staff_common::{roles, use_session_for, StaffPage};

#[component]
pub fn InboxPage() -> impl IntoView {
    let items: RwSignal<Option<Vec<RatingView>>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    use_session_for(roles::READERS, error, move |_| {
        spawn_local(async move {
            match client::inbox().await {
                Ok(list) => items.set(Some(list)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });

    view! {
        <Title text="差评待办 · 好差评"/>
        <StaffPage title=Signal::derive(|| "差评待办".to_string())>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || match items.get() {
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
                                    <td>{match &r.window_name { Some(w) => format!("{} / {}", r.place_name, w), None => r.place_name.clone() }}</td>
                                    <td>{r.channel.label_zh()}</td>
                                    <td>{r.reasons.iter().map(|x| x.label_zh()).collect::<Vec<_>>().join("、")}</td>
                                    <td class="comment-cell">{r.comment.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </StaffPage>
    }
}
