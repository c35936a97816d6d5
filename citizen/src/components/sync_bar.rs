//! The kiosk's sync state. Citizens see it only as a banner when ratings
//! have waited a while for upload (or the device cannot keep them); the
//! full state — pending count, last sync, offline badge, storage warnings,
//! ratings that need staff attention — is on a panel staff open with a
//! gesture (five taps on the place name).

use leptos::prelude::*;

use crate::offline::engine::SyncState;
use app::i18n::texts;
use app::web;

/// Ratings waiting longer than this are announced on the screen.
pub const WAITING_BANNER_MS: i64 = 5 * 60_000;

/// The citizen-visible warning: ratings waiting long, or kept only in
/// memory, or storage nearly full.
#[component]
pub fn WaitingBanner(state: SyncState) -> impl IntoView {
    let t = texts();
    let now = RwSignal::new(0i64);
    Effect::new(move |_| {
        now.set(web::now_ms());
        gloo_timers::callback::Interval::new(15_000, move || now.set(web::now_ms())).forget();
    });
    let waiting = move || {
        let n = now.get();
        let long = state
            .oldest_pending
            .get()
            .is_some_and(|t0| n > 0 && n - t0 > WAITING_BANNER_MS);
        let count = state.pending.get() + state.unsaved.with(Vec::len);
        (long && count > 0).then_some(count)
    };
    view! {
        {move || waiting().map(|n| view! {
            <div class="notice waiting" role="status" data-testid="waiting-banner">
                {t.get().waiting_banner.replace("{n}", &n.to_string())}
            </div>
        })}
        <Show when=move || { state.unsaved.with(Vec::len) > 0 }>
            <div class="notice danger-notice" role="alert" data-testid="unsaved-banner">
                {move || t.get().sync_unsaved.replace("{n}", &state.unsaved.with(Vec::len).to_string())}
            </div>
        </Show>
        {move || state.storage_warning.get().map(|w| view! {
            <div class="notice danger-notice" role="alert" data-testid="storage-banner">{w}</div>
        })}
    }
}

/// The staff gesture: five taps on the place name within four seconds
/// open (or close) the staff panel. Returns the tap handler.
pub fn staff_gesture(open: RwSignal<bool>) -> impl Fn(leptos::ev::MouseEvent) + Copy + 'static {
    let taps = RwSignal::new(Vec::<i64>::new());
    move |_| {
        let now = web::now_ms();
        taps.update(|v| {
            v.retain(|t| now - *t < 4_000);
            v.push(now);
        });
        if taps.with_untracked(|v| v.len() >= 5) {
            taps.set(vec![]);
            open.update(|o| *o = !*o);
        }
    }
}

/// The staff panel: hidden until opened by the staff gesture.
#[component]
pub fn StaffPanel(state: SyncState, open: RwSignal<bool>) -> impl IntoView {
    let t = texts();
    // Always in the page (its figures are readable by tools), shown only
    // when staff open it.
    view! {
        <div class="staff-panel" data-testid="staff-panel" hidden=move || !open.get()>
            <SyncBar state/>
            <button class="secondary" data-testid="staff-panel-close" on:click=move |_| open.set(false)>{move || t.get().close}</button>
        </div>
    }
}

#[component]
pub fn SyncBar(state: SyncState) -> impl IntoView {
    let t = texts();
    let show_review = RwSignal::new(false);
    let review_count = move || state.needs_review.with(Vec::len);
    let unsaved_count = move || state.unsaved.with(Vec::len);
    let n = |s: &str, n: usize| s.replace("{n}", &n.to_string());
    view! {
        <footer class="sync-bar" role="status" aria-live="polite">
            <Show when=move || !state.online.get()>
                <span class="badge offline" data-testid="offline-badge">{move || t.get().sync_offline}</span>
            </Show>
            <span data-testid="pending-count" data-count=move || state.pending.get().to_string()>
                {move || n(t.get().sync_pending, state.pending.get())}
            </span>
            <span data-testid="last-sync">
                {move || t.get().sync_last}
                {move || state.last_sync.get().map(domain::time::china_time).unwrap_or_else(|| t.get().sync_never.into())}
            </span>
            <Show when=move || state.syncing.get()>
                <span>{move || t.get().sync_running}</span>
            </Show>
            <Show when=move || { unsaved_count() > 0 }>
                <span class="badge danger" data-testid="unsaved-count">
                    {move || n(t.get().sync_unsaved, unsaved_count())}
                </span>
            </Show>
            <Show when=move || { review_count() > 0 }>
                <button class="badge warn" data-testid="review-count"
                    on:click=move |_| show_review.update(|v| *v = !*v)>
                    {move || n(t.get().sync_review, review_count())}
                </button>
            </Show>
            {move || state.storage_warning.get().map(|w| view! {
                <span class="badge danger" data-testid="storage-warning">{w}</span>
            })}
            {move || state.last_error.get().map(|e| view! {
                <span class="badge warn" data-testid="sync-error">{e}</span>
            })}
            <Show when=move || show_review.get()>
                <ul class="review-list" data-testid="review-list">
                    <For each=move || state.needs_review.get() key=|e| e.record.id let:entry>
                        <li>
                            {format!("#{} {} ", entry.record.seq, entry.record.level.label_zh())}
                            {match &entry.queue {
                                domain::sync::QueueState::NeedsReview { message, .. } => message.clone(),
                                _ => String::new(),
                            }}
                        </li>
                    </For>
                </ul>
            </Show>
        </footer>
    }
}
