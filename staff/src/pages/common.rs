//! What every staff page shares: the session (or a redirect to sign in).

use leptos::prelude::*;
use leptos::task::spawn_local;

use app::api::endpoints::staff as api;
use app::api::types::StaffSession;

pub fn go_to(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
}

/// Who may use which staff page: the same roles the server's endpoints
/// require, so a page never half-renders for a role its data refuses.
pub mod roles {
    pub const ANY: &[&str] = &["window_staff", "unit_admin", "supervisor", "system_admin"];
    pub const WINDOW: &[&str] = &["window_staff"];
    pub const HANDLERS: &[&str] = &["unit_admin", "supervisor"];
    pub const READERS: &[&str] = &["unit_admin", "supervisor", "system_admin"];
    pub const DEVICES: &[&str] = &["unit_admin", "system_admin"];
    pub const SUPERVISOR: &[&str] = &["supervisor"];
    pub const SYSADMIN: &[&str] = &["system_admin"];
    pub const ORG: &[&str] = &["supervisor", "system_admin"];
}

/// Loads the session once hydrated; sends the browser to the sign-in page
/// without one. `then` runs with the session. Any role may use the page.
pub fn use_session(
    error: RwSignal<Option<String>>,
    then: impl Fn(StaffSession) + Copy + 'static,
) -> RwSignal<Option<StaffSession>> {
    use_session_for(roles::ANY, error, then)
}

/// [`use_session`] for a page only `allowed` roles may use: another role
/// sees a clear refusal and a way home (from [`StaffPage`]), and `then`
/// does not run, so nothing half-loads.
pub fn use_session_for(
    allowed: &'static [&'static str],
    error: RwSignal<Option<String>>,
    then: impl Fn(StaffSession) + Copy + 'static,
) -> RwSignal<Option<StaffSession>> {
    let session: RwSignal<Option<StaffSession>> = RwSignal::new(None);
    provide_context(NavSession { session, allowed });
    Effect::new(move |_| {
        spawn_local(async move {
            match api::me().await {
                Ok(s) => {
                    let ok = allowed.contains(&s.role.as_str());
                    session.set(Some(s.clone()));
                    if ok {
                        then(s);
                    }
                }
                Err(e) if e.status() == Some(401) => go_to("/staff/login"),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });
    session
}

pub fn csrf(session: RwSignal<Option<StaffSession>>) -> String {
    session.with_untracked(|s| s.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default())
}

/// The page's session and who may use the page (see [`use_session_for`]).
#[derive(Clone, Copy)]
struct NavSession {
    session: RwSignal<Option<StaffSession>>,
    allowed: &'static [&'static str],
}

/// One entry of the staff navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub testid: &'static str,
    pub roles: &'static [&'static str],
}

/// Every staff page, and who may open it: the navigation, the sign-in
/// home and the role guard read this one list.
pub const NAV: &[NavLink] = &[
    NavLink {
        href: "/staff",
        label: "首页",
        testid: "nav-home",
        roles: roles::ANY,
    },
    NavLink {
        href: "/staff/window",
        label: "窗口服务",
        testid: "nav-window",
        roles: roles::WINDOW,
    },
    NavLink {
        href: "/staff/mine",
        label: "我的差评",
        testid: "nav-mine",
        roles: roles::WINDOW,
    },
    NavLink {
        href: "/staff/loop",
        label: "差评整改",
        testid: "nav-loop",
        roles: roles::HANDLERS,
    },
    NavLink {
        href: "/staff/inbox",
        label: "差评待办",
        testid: "nav-inbox",
        roles: roles::READERS,
    },
    NavLink {
        href: "/staff/reports",
        label: "通报报表",
        testid: "nav-reports",
        roles: roles::HANDLERS,
    },
    NavLink {
        href: "/staff/flags",
        label: "刷评复核",
        testid: "nav-flags",
        roles: roles::SUPERVISOR,
    },
    NavLink {
        href: "/staff/entry",
        label: "录入评价",
        testid: "nav-entry",
        roles: roles::HANDLERS,
    },
    NavLink {
        href: "/staff/devices",
        label: "评价设备",
        testid: "nav-devices",
        roles: roles::DEVICES,
    },
    NavLink {
        href: "/staff/posters",
        label: "二维码展示牌",
        testid: "nav-posters",
        roles: roles::DEVICES,
    },
    NavLink {
        href: "/staff/import",
        label: "导入办件",
        testid: "nav-import",
        roles: roles::DEVICES,
    },
    NavLink {
        href: "/staff/org",
        label: "组织机构",
        testid: "nav-org",
        roles: roles::ORG,
    },
    NavLink {
        href: "/staff/accounts",
        label: "工作人员账号",
        testid: "nav-accounts",
        roles: roles::SYSADMIN,
    },
    NavLink {
        href: "/staff/calendar",
        label: "节假日与调休",
        testid: "nav-calendar",
        roles: roles::READERS,
    },
    NavLink {
        href: "/staff/upstream",
        label: "上报省平台",
        testid: "nav-upstream",
        roles: roles::ORG,
    },
    NavLink {
        href: "/staff/settings",
        label: "我的设置",
        testid: "nav-settings",
        roles: roles::ANY,
    },
];

/// The links of the staff navigation a role has.
pub fn nav_for(role: &str) -> impl Iterator<Item = &'static NavLink> + '_ {
    NAV.iter().filter(move |l| l.roles.contains(&role))
}

/// Who is signed in, as the header says it: 单位 · 姓名, or 姓名（角色）
/// for an account without a unit.
pub fn whoami(s: &StaffSession) -> String {
    let role = role_label(&s.role);
    if s.unit_name.trim().is_empty() && s.display_name.contains(role) {
        s.display_name.clone()
    } else if s.unit_name.trim().is_empty() {
        format!("{}（{role}）", s.display_name)
    } else {
        format!("{} · {}", s.unit_name, s.display_name)
    }
}

/// Signs out: the session ends on the server and nothing of it stays in
/// the browser's caches (a tablet is shared).
pub fn sign_out(session: RwSignal<Option<StaffSession>>) {
    let token = csrf(session);
    spawn_local(async move {
        let _ = api::logout(&token).await;
        app::web::forget_staff_caches();
        go_to("/staff/login");
    });
}

/// Every staff page's frame: title, who is signed in, the role's
/// navigation and 退出登录; the page itself only for the roles that may
/// use it (see [`use_session_for`]).
#[component]
pub fn StaffPage(
    title: Signal<String>,
    #[prop(optional, into)] class: String,
    children: ChildrenFn,
) -> impl IntoView {
    let nav = use_context::<NavSession>();
    let (session, allowed) = match nav {
        Some(n) => (n.session, n.allowed),
        None => (use_session(RwSignal::new(None), |_| {}), roles::ANY),
    };
    let role = move || session.with(|s| s.as_ref().map(|s| s.role.clone()));
    let refused = move || role().is_some_and(|r| !allowed.contains(&r.as_str()));
    view! {
        <section class=format!("page staff {class}")>
            <header class="staff-header">
                <h1>{move || title.get()}</h1>
                {move || session.get().map(|s| view! {
                    <span class="whoami" data-testid="whoami">{whoami(&s)}</span>
                    <button class="secondary" data-testid="sign-out" on:click=move |_| sign_out(session)>"退出登录"</button>
                })}
            </header>
            <nav class="staff-nav" aria-label="工作人员导航">
                {move || role().map(|r| nav_for(&r).map(|l| view! {
                    <a href=l.href data-testid=l.testid>{l.label}</a>
                }).collect_view())}
            </nav>
            <CalendarWarning session=session/>
            {move || if refused() {
                view! {
                    <div class="refused" role="alert" data-testid="page-refused">
                        <p>{format!("您的账号（{}）不能使用此页面。", role_label(&role().unwrap_or_default()))}</p>
                        <p><a class="button-link primary" href="/staff">"返回我的首页"</a></p>
                    </div>
                }.into_any()
            } else if role().is_some() {
                children().into_any()
            } else {
                view! { <p class="hint" role="status">"正在加载…"</p> }.into_any()
            }}
        </section>
    }
}

/// The staff navigation alone, for pages that draw their own frame.
#[component]
pub fn StaffNav() -> impl IntoView {
    let session = match use_context::<NavSession>() {
        Some(n) => n.session,
        None => use_session(RwSignal::new(None), |_| {}),
    };
    let role = move || session.with(|s| s.as_ref().map(|s| s.role.clone()));
    view! {
        <nav class="staff-nav" aria-label="工作人员导航">
            {move || role().map(|r| nav_for(&r).map(|l| view! {
                <a href=l.href data-testid=l.testid>{l.label}</a>
            }).collect_view())}
            <button class="secondary" data-testid="sign-out" on:click=move |_| sign_out(session)>"退出登录"</button>
        </nav>
        <CalendarWarning session=session/>
    }
}

/// For system admins, on every staff page: the year whose holidays and
/// 调休 days are not entered yet (from December on, next year's), since
/// working-day deadlines running into it are counted with weekends only.
#[component]
fn CalendarWarning(session: RwSignal<Option<StaffSession>>) -> impl IntoView {
    move || {
        session
            .with(|s| s.as_ref().and_then(|s| s.calendar_missing_year))
            .map(|y| {
                view! {
                    <div class="calendar-warning" role="alert" data-testid="calendar-warning">
                        <p>
                            <strong>{format!("{y} 年的法定节假日和调休上班日尚未录入。")}</strong>
                            {format!("跨入 {y} 年的沟通、申诉期限按周末计算，可能与国务院办公厅通知不符。")}
                            <a href="/staff/calendar">"去录入"</a>
                        </p>
                        <p class="en" lang="en">
                            {format!("The holidays and make-up workdays of {y} are not entered yet: deadlines running into {y} count weekends only.")}
                        </p>
                    </div>
                }
            })
    }
}

/// A role code in Chinese (audit log, headers).
pub fn role_label(role: &str) -> &'static str {
    match role {
        "window_staff" => "窗口工作人员",
        "unit_admin" => "单位管理员",
        "supervisor" => "督查员",
        "system_admin" => "系统管理员",
        "citizen" => "评价人",
        "hotline" => "12345热线",
        "system" => "系统",
        _ => "",
    }
}
