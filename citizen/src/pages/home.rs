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
                <li><a href="/staff/inbox">"差评待办"</a>" · "<a href="/staff/loop">"差评整改"</a>" · "<a href="/staff/window">"窗口服务"</a>" · "<a href="/staff/entry">"录入评价"</a></li>
                <li><a href="/staff/devices">"评价设备"</a>" · "<a href="/staff/posters">"二维码展示牌"</a>" · "<a href="/staff/import">"导入办件"</a>" · "<a href="/staff/org">"组织机构"</a>" · "<a href="/staff/accounts">"工作人员账号"</a>" · "<a href="/staff/calendar">"节假日与调休"</a></li>
            </ul>
        </section>
    }
}
