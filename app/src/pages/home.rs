use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="政务服务好差评"/>
        <section class="page home">
            <h1>"政务服务“好差评”"</h1>
            <p>"评价终端请使用管理员登记的设备地址（形如 /kiosk/设备编号）打开。"</p>
            <ul class="links">
                <li><a href="/staff/login">"工作人员登录"</a></li>
            </ul>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"页面不存在"</h1>
            <p><a href="/">"返回首页"</a></p>
        </section>
    }
}
