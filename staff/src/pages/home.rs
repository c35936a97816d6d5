//! The staff home (`/staff`), where sign-in lands: what this role does,
//! biggest first, with the counts that need attention (待办).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{roles, use_session_for, StaffPage};
use app::api::endpoints::{flags, rectify};
use app::api::types::TicketList;

/// A big tile on the home page.
struct Tile {
    href: &'static str,
    label: &'static str,
    hint: &'static str,
    testid: &'static str,
}

fn tiles(role: &str) -> Vec<Tile> {
    let t = |href, label, hint, testid| Tile {
        href,
        label,
        hint,
        testid,
    };
    match role {
        "window_staff" => vec![
            t(
                "/staff/window",
                "窗口服务",
                "开始服务、办结，评价器请办事人评价",
                "home-window",
            ),
            t(
                "/staff/mine",
                "我的差评",
                "我收到的差评及整改结果",
                "home-mine",
            ),
        ],
        "unit_admin" => vec![
            t(
                "/staff/loop",
                "差评整改",
                "联系评价人、核实、整改、存档",
                "home-loop",
            ),
            t(
                "/staff/reports",
                "通报报表",
                "本单位的评价和整改情况",
                "home-reports",
            ),
            t(
                "/staff/entry",
                "录入评价",
                "书面评价表、电话评价",
                "home-entry",
            ),
            t(
                "/staff/devices",
                "评价设备",
                "自助终端、窗口评价器",
                "home-devices",
            ),
            t(
                "/staff/posters",
                "二维码展示牌",
                "打印窗口和场所的评价二维码",
                "home-posters",
            ),
            t(
                "/staff/import",
                "导入办件",
                "业务系统不能对接时导入 CSV",
                "home-import",
            ),
        ],
        "supervisor" => vec![
            t(
                "/staff/reports",
                "通报报表",
                "各区县、各部门排名与导出",
                "home-reports",
            ),
            t(
                "/staff/flags",
                "刷评复核",
                "疑似刷评、自评的评价",
                "home-flags",
            ),
            t(
                "/staff/loop",
                "抽查与整改",
                "整改抽查、无效与恶意差评认定、申诉",
                "home-loop",
            ),
            t(
                "/staff/entry",
                "录入评价",
                "12345 热线、书面评价表",
                "home-entry",
            ),
        ],
        "system_admin" => vec![
            t(
                "/staff/org",
                "组织机构",
                "区县、部门、场所、窗口、事项",
                "home-org",
            ),
            t(
                "/staff/accounts",
                "工作人员账号",
                "账号、角色、工号、照片",
                "home-accounts",
            ),
            t(
                "/staff/devices",
                "评价设备",
                "登记、启用码、停用、在线情况",
                "home-devices",
            ),
            t(
                "/staff/calendar",
                "节假日与调休",
                "整改期限按工作日计算",
                "home-calendar",
            ),
        ],
        _ => vec![],
    }
}

#[component]
pub fn StaffHome() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let tickets: RwSignal<Option<TicketList>> = RwSignal::new(None);
    let flags: RwSignal<Option<u64>> = RwSignal::new(None);
    let session = use_session_for(roles::ANY, error, move |s| {
        if roles::HANDLERS.contains(&s.role.as_str()) {
            spawn_local(async move {
                match rectify::tickets(&rectify::TicketQuery {
                    limit: Some(1),
                    ..Default::default()
                })
                .await
                {
                    Ok(l) => tickets.set(Some(l)),
                    Err(e) => error.set(Some(e.message())),
                }
            });
        }
        if s.role == "supervisor" {
            spawn_local(async move {
                if let Ok(f) = flags::flags(None).await {
                    flags.set(Some(f.pending));
                }
            });
        }
    });
    let role = move || session.with(|s| s.as_ref().map(|s| s.role.clone()).unwrap_or_default());
    let count = move |testid: &str| -> Option<AnyView> {
        match testid {
            "home-loop" => tickets.get().map(|l| view! {
                <span class="tile-counts">
                    <span data-testid="home-open">{format!("待办 {}", l.open)}</span>
                    {(l.overdue > 0).then(|| view! { <span class="late" data-testid="home-overdue">{format!("已超期 {}", l.overdue)}</span> })}
                </span>
            }.into_any()),
            "home-flags" => flags.get().map(|n| view! {
                <span class="tile-counts"><span data-testid="home-flags-pending">{format!("待复核 {n}")}</span></span>
            }.into_any()),
            _ => None,
        }
    };
    view! {
        <Title text="工作台 · 好差评"/>
        <StaffPage title=Signal::derive(|| "工作台".to_string()) class="home">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            <div class="tiles" data-testid="home-tiles">
                {move || tiles(&role()).into_iter().map(|tile| view! {
                    <a class="tile" href=tile.href data-testid=tile.testid>
                        <span class="tile-label">{tile.label}</span>
                        <span class="tile-hint">{tile.hint}</span>
                        {move || count(tile.testid)}
                    </a>
                }).collect_view()}
            </div>
        </StaffPage>
    }
}
