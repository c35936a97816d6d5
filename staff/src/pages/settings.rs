//! 我的设置 (`/staff/settings`): the signed-in account's own choices. A unit
//! 好差评 administrator gives the phone that SMS notices go to (a new bad
//! rating, a deadline near or passed) and whether they come one by one, as
//! a daily digest, or not at all.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::staff as api;
use app::api::types::{PasswordChange, StaffSettings};
use domain::notice::NotifyMode;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let saved = RwSignal::new(false);
    let phone = RwSignal::new(String::new());
    let mode = RwSignal::new(NotifyMode::Off);
    // What the administrator changed before the saved settings arrived is
    // kept: the late answer fills only the fields not touched.
    let phone_edited = RwSignal::new(false);
    let mode_edited = RwSignal::new(false);
    let session = use_session_for(roles::ANY, error, move |_| {
        spawn_local(async move {
            match api::settings().await {
                Ok(s) => {
                    if !phone_edited.get_untracked() {
                        phone.set(s.phone.unwrap_or_default());
                    }
                    if !mode_edited.get_untracked() {
                        mode.set(s.notify);
                    }
                }
                Err(e) => error.set(Some(e.message())),
            }
        })
    });
    let is_admin = move || session.with(|s| s.as_ref().is_some_and(|s| s.role == "unit_admin"));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = StaffSettings {
            phone: Some(phone.get_untracked().trim().to_string()).filter(|p| !p.is_empty()),
            notify: mode.get_untracked(),
        };
        saved.set(false);
        spawn_local(async move {
            match api::save_settings(&csrf(session), &body).await {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    // 修改密码: every session of the account ends; sign in again.
    let current = RwSignal::new(String::new());
    let new_pw = RwSignal::new(String::new());
    let pw_error: RwSignal<Option<String>> = RwSignal::new(None);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PasswordChange {
            current: current.get_untracked(),
            new: new_pw.get_untracked(),
        };
        spawn_local(async move {
            match api::change_password(&csrf(session), &body).await {
                Ok(_) => crate::pages::common::go_to("/staff/login"),
                Err(e) => pw_error.set(Some(e.message())),
            }
        });
    };
    view! {
        <Title text="我的设置 · 好差评"/>
        <StaffPage title=Signal::derive(|| "我的设置".to_string()) class="tablet settings-page">
            <form class="form narrow-form" on:submit=save data-testid="settings-form">
                <Show when=is_admin fallback=|| view! {
                    <p class="hint">"短信提醒只发给单位好差评管理员。"</p>
                }>
                    <p class="hint">"新差评和临近、超过期限的差评会以短信提醒您（不含评价人的任何信息）。"</p>
                </Show>
                <label>
                    <span>"接收提醒的手机号码"</span>
                    <input type="tel" inputmode="numeric" maxlength="11" data-testid="settings-phone"
                        prop:value=move || phone.get() on:input=move |ev| {
                            phone_edited.set(true);
                            phone.set(event_target_value(&ev));
                        }/>
                </label>
                <fieldset class="step">
                    <legend>"短信提醒"</legend>
                    {NotifyMode::ALL.into_iter().map(|m| view! {
                        <label class="check big">
                            <input type="radio" name="notify" data-testid=format!("notify-{}", m.as_str())
                                prop:checked=move || mode.get() == m on:change=move |_| {
                                    mode_edited.set(true);
                                    mode.set(m);
                                }/>
                            {m.label_zh()}
                        </label>
                    }).collect_view()}
                </fieldset>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="settings-error">{e}</p> })}
                {move || saved.get().then(|| view! { <p class="notice-ok" role="status" data-testid="settings-saved">"已保存"</p> })}
                <button class="primary" type="submit" data-testid="settings-save">"保存"</button>
            </form>
            <form class="form narrow-form" on:submit=change data-testid="password-form">
                <h2>"修改密码"</h2>
                <p class="hint">"修改后，本账号在所有设备上的登录都会失效，请重新登录。"</p>
                <label><span>"当前密码"</span>
                    <input type="password" autocomplete="current-password" data-testid="password-current"
                        prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev))/></label>
                <label><span>"新密码（至少 10 位）"</span>
                    <input type="password" autocomplete="new-password" data-testid="password-new"
                        prop:value=move || new_pw.get() on:input=move |ev| new_pw.set(event_target_value(&ev))/></label>
                {move || pw_error.get().map(|e| view! { <p class="error" role="alert" data-testid="password-error">{e}</p> })}
                <button class="primary" type="submit" data-testid="password-save">"修改密码"</button>
            </form>
        </StaffPage>
    }
}
