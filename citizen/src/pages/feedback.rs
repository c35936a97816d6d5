//! 回访评价: the evaluator of a bad rating rates its rectification through
//! the signed single-use link sent by SMS (`/f/{token}`). Same big,
//! elder-friendly look as the other citizen pages; no session.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::rating_flow::CitizenToolbar;
use app::api::client::ClientError;
use app::api::endpoints::feedback;
use app::api::types::{FeedbackSubmit, FeedbackView};
use app::components::face::Face;
use app::i18n::{prefs, texts};
use domain::calendar::Date;
use domain::{Level, COMMENT_MAX_CHARS};

/// The server's message in the page's language.
fn message(e: &ClientError, en: bool) -> String {
    match e {
        ClientError::Api { body, .. } if en => body.error.message_en.clone(),
        ClientError::Network(_) if en => {
            "Cannot reach the server (network down or server not running)".into()
        }
        _ => e.message(),
    }
}

fn is_used(e: &ClientError) -> bool {
    matches!(e, ClientError::Api { body, .. } if body.error.code == "link_used")
}

#[component]
pub fn FeedbackPage() -> impl IntoView {
    let params = use_params_map();
    let t = texts();
    let p = prefs();
    let info: RwSignal<Option<FeedbackView>> = RwSignal::new(None);
    let load_error: RwSignal<Option<ClientError>> = RwSignal::new(None);
    let submit_error: RwSignal<Option<ClientError>> = RwSignal::new(None);
    let choose_first = RwSignal::new(false);
    let level: RwSignal<Option<Level>> = RwSignal::new(None);
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let token = move || params.with_untracked(|p| p.get("token").unwrap_or_default());

    Effect::new(move |_| {
        let tok = token();
        spawn_local(async move {
            match feedback::feedback_view(&tok).await {
                Ok(v) => info.set(Some(v)),
                Err(e) => load_error.set(Some(e)),
            }
        });
    });

    let submit = move |_| {
        let Some(l) = level.get_untracked() else {
            choose_first.set(true);
            return;
        };
        let body = FeedbackSubmit {
            level: l,
            comment: comment.get_untracked().trim().to_string(),
        };
        busy.set(true);
        spawn_local(async move {
            match feedback::feedback_submit(&token(), &body).await {
                Ok(()) => {
                    submit_error.set(None);
                    done.set(true);
                }
                Err(e) if is_used(&e) => {
                    info.update(|i| {
                        if let Some(i) = i {
                            i.used = true;
                        }
                    });
                }
                // The choice and the comment stay for another try.
                Err(e) => submit_error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let body = move || {
        let tx = t.get();
        let en = tx.lang_code == "en";
        if let Some(e) = load_error.get() {
            return view! { <div class="kiosk-message" role="alert" data-testid="feedback-error">{message(&e, en)}</div> }.into_any();
        }
        let Some(v) = info.get() else {
            return view! { <div class="kiosk-message">{tx.loading}</div> }.into_any();
        };
        if done.get() {
            return view! {
                <section class="screen thanks" data-testid="feedback-thanks">
                    <h1>{tx.thanks}</h1>
                    <p>{tx.fb_thanks_detail}</p>
                </section>
            }
            .into_any();
        }
        if v.used {
            return view! {
                <section class="screen thanks">
                    <p class="notice" data-testid="feedback-used">{tx.fb_used}</p>
                </section>
            }
            .into_any();
        }
        let place = match &v.window_name {
            Some(w) => format!("{} · {w}", v.place_name),
            None => v.place_name.clone(),
        };
        let outcome = v
            .outcome
            .map(|o| if en { o.label_en() } else { o.label_zh() });
        view! {
            <section class="screen feedback-screen">
                <h1>{tx.fb_title}</h1>
                <dl class="fb-summary" data-testid="feedback-summary">
                    <dt>{tx.fb_place}</dt><dd data-testid="feedback-place">{place}</dd>
                    <dt>{tx.fb_rated_on}</dt><dd>{Date::of_instant(v.opened_at).to_string()}</dd>
                    {outcome.map(|o| view! { <dt>{tx.fb_outcome}</dt><dd data-testid="feedback-outcome">{o}</dd> })}
                    {(!v.description.is_empty()).then(|| view! {
                        <dt>{tx.fb_description}</dt><dd class="fb-description" data-testid="feedback-description">{v.description.clone()}</dd>
                    })}
                </dl>
                <h2 class="fb-question">{tx.fb_question}</h2>
                <div class="levels" role="group" aria-label=tx.fb_question>
                    {Level::ALL.into_iter().map(|l| view! {
                        <button class=format!("level level-{}", l.grade().as_str())
                            data-testid=format!("feedback-level-{}", l.as_str())
                            class:selected=move || level.get() == Some(l)
                            aria-pressed=move || (level.get() == Some(l)).to_string()
                            on:click=move |_| { level.set(Some(l)); choose_first.set(false); }>
                            <Face level=l/>
                            <span class="level-label">{tx.level(l)}</span>
                        </button>
                    }).collect_view()}
                </div>
                <label class="comment">
                    <span>{tx.fb_comment}</span>
                    <textarea data-testid="feedback-comment" rows="3" maxlength=COMMENT_MAX_CHARS.to_string()
                        prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    <span class="counter">{move || format!("{} / {}", comment.with(|c| c.chars().count()), COMMENT_MAX_CHARS)}</span>
                </label>
                {move || choose_first.get().then(|| view! { <p class="notice" role="alert" data-testid="feedback-choose">{t.get().fb_choose}</p> })}
                {move || submit_error.get().map(|e| view! {
                    <p class="notice" role="alert" data-testid="feedback-error">{message(&e, t.get().lang_code == "en")}</p>
                })}
                <div class="actions">
                    <button class="primary" data-testid="feedback-submit" disabled=move || busy.get() on:click=submit>{tx.submit}</button>
                </div>
            </section>
        }
        .into_any()
    };

    view! {
        <Title text="整改回访评价 · 好差评"/>
        <div class="phone citizen feedback-page" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            {body}
        </div>
    }
}
