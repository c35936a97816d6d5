//! The kiosk's visible sync state: pending count, last successful sync,
//! offline badge, storage warnings and ratings that need staff attention.

use leptos::prelude::*;

use crate::offline::engine::SyncState;

#[component]
pub fn SyncBar(state: SyncState) -> impl IntoView {
    let show_review = RwSignal::new(false);
    let review_count = move || state.needs_review.with(Vec::len);
    let unsaved_count = move || state.unsaved.with(Vec::len);
    view! {
        <footer class="sync-bar" role="status" aria-live="polite">
            <Show when=move || !state.online.get()>
                <span class="badge offline" data-testid="offline-badge">"离线"</span>
            </Show>
            <span data-testid="pending-count" data-count=move || state.pending.get().to_string()>
                "待同步 " {move || state.pending.get()} " 条"
            </span>
            <span data-testid="last-sync">
                "上次同步："
                {move || state.last_sync.get().map(super::local_time).unwrap_or_else(|| "尚未同步".into())}
            </span>
            <Show when=move || state.syncing.get()>
                <span>"正在同步…"</span>
            </Show>
            <Show when=move || { unsaved_count() > 0 }>
                <span class="badge danger" data-testid="unsaved-count">
                    {move || format!("{} 条评价仅在内存中，请勿断电", unsaved_count())}
                </span>
            </Show>
            <Show when=move || { review_count() > 0 }>
                <button class="badge warn" data-testid="review-count"
                    on:click=move |_| show_review.update(|v| *v = !*v)>
                    {move || format!("{} 条需工作人员处理", review_count())}
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
                                crate::domain::sync::QueueState::NeedsReview { message, .. } => message.clone(),
                                _ => String::new(),
                            }}
                        </li>
                    </For>
                </ul>
            </Show>
        </footer>
    }
}
