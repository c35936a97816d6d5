use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use app::api::endpoints::staff as api;
use app::api::types::LoginRequest;

#[component]
pub fn LoginPage() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if username.with_untracked(|u| u.trim().is_empty())
            || password.with_untracked(String::is_empty)
        {
            error.set(Some("请输入用户名和密码".into()));
            return;
        }
        busy.set(true);
        let req = LoginRequest {
            username: username.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::login(&req).await {
                Ok(_) => {
                    // Every role lands on its own home (`/staff`).
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href("/staff");
                    }
                }
                Err(e) => {
                    error.set(Some(e.message()));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <Title text="工作人员登录 · 好差评"/>
        <section class="page narrow">
            <h1>"工作人员登录"</h1>
            <form class="form" on:submit=on_submit>
                <label>
                    <span>"用户名"</span>
                    <input name="username" autocomplete="username" data-testid="username"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label>
                    <span>"密码"</span>
                    <input name="password" type="password" autocomplete="current-password" data-testid="password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="login-error">{e}</p> })}
                <button class="primary" type="submit" data-testid="login" disabled=move || busy.get()>"登录"</button>
            </form>
        </section>
    }
}
