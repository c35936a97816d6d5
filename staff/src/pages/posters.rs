//! 评价展示牌 (`/staff/posters`): the printable QR posters.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{roles, use_session_for, StaffNav};
use app::api::endpoints::admin;
use app::api::types::Poster;

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
