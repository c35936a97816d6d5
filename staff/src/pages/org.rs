//! Organisation admin (system administrators): one table per unit type,
//! a form to create or edit, deactivate / reactivate, and the CSV import of
//! the whole tree with its per-row report; below, the audit history of
//! edits (organisation, accounts, devices, cases) for system
//! administrators and supervisors.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use wasm_bindgen::JsCast;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::admin;
use app::api::types::{
    AuditEntry, ImportReport, OrgRow as Row, StaffAccount as StaffRow, StaffAccountInput,
    AUDIT_ENTITIES,
};
use domain::org::{OrgInput, OrgType};
use domain::time::china_time;

#[component]
pub fn OrgPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let kind_of = RwSignal::new(OrgType::Place);
    let rows: RwSignal<Vec<Row>> = RwSignal::new(vec![]);
    let reload = move || {
        let t = kind_of.get_untracked();
        spawn_local(async move {
            match admin::org_units(t).await {
                Ok(r) => rows.set(r),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::ORG, error, move |_| reload());
    // The form: `editing` holds the id when it edits an existing unit.
    let editing: RwSignal<Option<i64>> = RwSignal::new(None);
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let parent = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let dept = RwSignal::new(String::new());
    let clear = move || {
        editing.set(None);
        for s in [code, name, parent, kind, dept] {
            s.set(String::new());
        }
    };
    let report: RwSignal<Option<ImportReport>> = RwSignal::new(None);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = kind_of.get_untracked();
        let input = OrgInput {
            org_type: t,
            code: code.get_untracked(),
            name: name.get_untracked(),
            parent_code: Some(parent.get_untracked()),
            kind: Some(kind.get_untracked()),
            department_code: Some(dept.get_untracked()),
        };
        let id = editing.get_untracked();
        spawn_local(async move {
            let r = match id {
                Some(id) => admin::update_org_unit(&csrf(session), id, &input).await,
                None => admin::create_org_unit(&csrf(session), &input).await,
            };
            match r {
                Ok(_) => {
                    error.set(None);
                    notice.set(Some(format!("已保存：{}", input.code.trim())));
                    clear();
                    reload();
                }
                // The form keeps what was typed.
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let toggle = move |row: Row| {
        let t = kind_of.get_untracked();
        spawn_local(async move {
            match admin::set_org_active(&csrf(session), t, row.id, !row.active).await {
                Ok(_) => reload(),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        spawn_local(async move {
            let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await else {
                error.set(Some("无法读取文件".into()));
                return;
            };
            match admin::import_org(&csrf(session), text.as_string().unwrap_or_default()).await {
                Ok(r) => {
                    report.set(Some(r));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
        <Title text="组织机构 · 好差评"/>
        <StaffPage title=Signal::derive(|| "组织机构管理".to_string()) class="">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="org-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p role="status" data-testid="org-notice">{n}</p> })}
            <div class="row form">
                <label><span>"类型"</span>
                    <select data-testid="org-type" on:change=move |ev| {
                        kind_of.set(OrgType::parse(&event_target_value(&ev)).unwrap_or(OrgType::Place));
                        clear();
                        reload();
                    }>
                        {OrgType::ALL.into_iter().map(|t| view! {
                            <option value=t.as_str() selected=t == OrgType::Place>{t.label_zh()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <form class="form row" on:submit=save data-testid="org-form">
                <label><span>"编码"</span><input data-testid="org-code" prop:value=move || code.get() prop:readOnly=move || editing.get().is_some() on:input=move |ev| code.set(event_target_value(&ev))/></label>
                <label><span>"名称"</span><input data-testid="org-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label><span>{move || format!("上级{}编码", kind_of.get().parent().label_zh())}</span>
                    <input data-testid="org-parent" prop:value=move || parent.get() on:input=move |ev| parent.set(event_target_value(&ev))/></label>
                <Show when=move || !kind_of.get().kinds().is_empty()>
                    <label><span>"类别"</span>
                        <select data-testid="org-kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                            <option value="">"请选择"</option>
                            {move || kind_of.get().kinds().iter().map(|k| view! { <option value=*k>{*k}</option> }).collect_view()}
                        </select></label>
                </Show>
                <Show when=move || kind_of.get() == OrgType::Window>
                    <label><span>"所属部门编码（选填）"</span><input data-testid="org-dept" prop:value=move || dept.get() on:input=move |ev| dept.set(event_target_value(&ev))/></label>
                </Show>
                <button class="primary" type="submit" data-testid="org-save">{move || if editing.get().is_some() { "保存修改" } else { "新增" }}</button>
                <Show when=move || editing.get().is_some()>
                    <button class="secondary" type="button" on:click=move |_| clear()>"取消"</button>
                </Show>
            </form>
            <table class="inbox" data-testid="org-table">
                <thead><tr><th>"编码"</th><th>"名称"</th><th>"上级"</th><th>"类别 / 部门"</th><th>"状态"</th><th></th></tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|r| {
                        let edit_row = r.clone();
                        let toggle_row = r.clone();
                        view! {
                            <tr data-testid="org-row" data-code=r.code.clone() data-active=r.active.to_string()>
                                <td>{r.code.clone()}</td>
                                <td>{r.name.clone()}</td>
                                <td>{r.parent_code.clone().unwrap_or_default()}</td>
                                <td>{r.kind.clone().or(r.department_code.clone()).unwrap_or_default()}</td>
                                <td>{if r.active { "启用" } else { "已停用" }}</td>
                                <td>
                                    <button class="secondary" data-testid="org-edit" on:click=move |_| {
                                        let r = edit_row.clone();
                                        editing.set(Some(r.id));
                                        code.set(r.code);
                                        name.set(r.name);
                                        parent.set(r.parent_code.unwrap_or_default());
                                        kind.set(r.kind.unwrap_or_default());
                                        dept.set(r.department_code.unwrap_or_default());
                                    }>"编辑"</button>
                                    <button class="secondary" data-testid="org-toggle" on:click=move |_| toggle(toggle_row.clone())>
                                        {if r.active { "停用" } else { "启用" }}
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <h2>"批量导入（CSV）"</h2>
            <p class="hint">"表头：type,code,name,parent_code,kind,department_code；上级须在下级之前。type 为 region/department/place/window/service_item/provider。"</p>
            <input type="file" accept=".csv,text/csv" data-testid="org-import-file" on:change=on_file/>
            {move || report.get().map(|r| view! {
                <p data-testid="org-import-status">{format!("共 {} 行，导入 {} 行，错误 {} 行", r.rows, r.imported, r.errors.len())}</p>
                <ul data-testid="org-import-errors">
                    {r.errors.into_iter().map(|e| view! { <li data-line=e.line.to_string()>{format!("第 {} 行（{}）：{}", e.line, e.case_no, e.message)}</li> }).collect_view()}
                </ul>
            })}
            <AuditHistory error/>
        </StaffPage>
    }
}

fn entity_zh(e: &str) -> &'static str {
    match e {
        "staff" => "工作人员账号",
        "device" => "评价设备",
        "case" => "办件",
        other => OrgType::parse(other).map_or("其他", |t| t.label_zh()),
    }
}

fn action_zh(a: &str) -> &str {
    match a {
        "create" => "新增",
        "update" => "修改",
        "activate" => "启用",
        "deactivate" => "停用",
        "photo" => "更换照片",
        "register" => "登记",
        "enrolment_code" => "生成启用码",
        "enrol" => "设备启用",
        "revoke" => "停用设备",
        "voice" => "语音设置",
        "push_create" => "推送新增",
        "push_update" => "推送更新",
        "import_create" => "导入新增",
        "import_update" => "导入更新",
        other => other,
    }
}

/// `字段：前 → 后` for each field that differs (all of `after` for a new
/// entity); values as JSON text.
fn changes(before: Option<&serde_json::Value>, after: Option<&serde_json::Value>) -> String {
    let empty = serde_json::Map::new();
    let b = before.and_then(|v| v.as_object()).unwrap_or(&empty);
    let a = after.and_then(|v| v.as_object()).unwrap_or(&empty);
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| {
            if before.is_none() {
                format!("{k}：{}", show(a.get(k)))
            } else {
                format!("{k}：{} → {}", show(b.get(k)), show(a.get(k)))
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The newest lines of the audit history of one kind of entity, loaded on
/// request (nothing at first paint).
#[component]
fn AuditHistory(error: RwSignal<Option<String>>) -> impl IntoView {
    let entity = RwSignal::new("place".to_string());
    let lines: RwSignal<Option<Vec<AuditEntry>>> = RwSignal::new(None);
    let load = move |_| {
        let e = entity.get_untracked();
        spawn_local(async move {
            match admin::audit(&e, 100).await {
                Ok(l) => lines.set(Some(l)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    view! {
        <h2>"修改记录"</h2>
        <p class="hint">"组织机构、账号、设备和办件的每次变更（谁、何时、变更前 → 变更后），只增不改；手机号、身份证号已隐去中间位，不含密码和启用码。"</p>
        <div class="row form">
            <label><span>"对象"</span>
                <select data-testid="audit-entity" on:change=move |ev| entity.set(event_target_value(&ev))>
                    {AUDIT_ENTITIES.into_iter().map(|e| view! {
                        <option value=e selected=e == "place">{entity_zh(e)}</option>
                    }).collect_view()}
                </select>
            </label>
            <button class="secondary" type="button" data-testid="audit-load" on:click=load>"查看最近 100 条"</button>
        </div>
        {move || lines.get().map(|l| view! {
            <table class="inbox" data-testid="audit-table">
                <thead><tr><th>"时间"</th><th>"操作人"</th><th>"编号"</th><th>"操作"</th><th>"变更"</th></tr></thead>
                <tbody>
                    {l.into_iter().map(|e| view! {
                        <tr data-testid="audit-row">
                            <td>{china_time(e.at)}</td>
                            <td>{e.actor_label.clone()}</td>
                            <td>{e.entity_id.clone()}</td>
                            <td>{action_zh(&e.action).to_string()}</td>
                            <td>{changes(e.before.as_ref(), e.after.as_ref())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "window_staff" => "窗口工作人员",
        "unit_admin" => "单位好差评管理员",
        "supervisor" => "督查（管理机构）",
        "system_admin" => "系统管理员",
        _ => "未知角色",
    }
}

/// Staff accounts: create with an initial password, edit (blank password
/// keeps it), deactivate (ends their sessions).
#[component]
pub fn StaffAccounts() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let rows: RwSignal<Vec<StaffRow>> = RwSignal::new(vec![]);
    let reload = move || {
        spawn_local(async move {
            match admin::staff_accounts().await {
                Ok(r) => rows.set(r),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::SYSADMIN, error, move |_| reload());
    let editing: RwSignal<Option<i64>> = RwSignal::new(None);
    let f: [RwSignal<String>; 8] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let [username, name, role, place, window, dept, password, staff_no] = f;
    let clear = move || {
        editing.set(None);
        for s in f {
            s.set(String::new());
        }
        role.set("window_staff".into());
    };
    Effect::new(move |_| role.set("window_staff".into()));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = StaffAccountInput {
            username: username.get_untracked(),
            display_name: name.get_untracked(),
            role: role.get_untracked(),
            place_code: place.get_untracked(),
            window_code: window.get_untracked(),
            department_code: dept.get_untracked(),
            password: password.get_untracked(),
            staff_no: staff_no.get_untracked(),
        };
        let id = editing.get_untracked();
        spawn_local(async move {
            let r = match id {
                Some(id) => admin::update_staff_account(&csrf(session), id, &body).await,
                None => admin::create_staff_account(&csrf(session), &body).await,
            };
            match r {
                Ok(_) => {
                    error.set(None);
                    clear();
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let toggle = move |r: StaffRow| {
        spawn_local(async move {
            match admin::set_staff_active(&csrf(session), r.id, !r.active).await {
                Ok(_) => reload(),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    // The pad shows the photo beside the clerk's name and 工号.
    let upload = move |id: i64, ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        spawn_local(async move {
            let r = admin::upload_staff_photo(&csrf(session), id, &file).await;
            match r {
                Ok(()) => {
                    error.set(None);
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let input = move |s: RwSignal<String>, label: &'static str, id: &'static str| {
        view! {
            <label><span>{label}</span><input data-testid=id prop:value=move || s.get() on:input=move |ev| s.set(event_target_value(&ev))/></label>
        }
    };
    view! {
        <StaffPage title=Signal::derive(|| "工作人员账号".to_string()) class="">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="staff-error">{e}</p> })}
            <form class="form row" on:submit=save>
                <label><span>"用户名"</span><input data-testid="staff-username" prop:value=move || username.get() prop:readOnly=move || editing.get().is_some() on:input=move |ev| username.set(event_target_value(&ev))/></label>
                {input(name, "姓名", "staff-name")}
                <label><span>"角色"</span>
                    <select data-testid="staff-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        {["window_staff", "unit_admin", "supervisor", "system_admin"].into_iter().map(|r| view! { <option value=r>{role_zh(r)}</option> }).collect_view()}
                    </select></label>
                {input(place, "场所编码", "staff-place")}
                {input(window, "窗口编码", "staff-window")}
                {input(dept, "部门编码", "staff-dept")}
                {input(staff_no, "工号", "staff-no")}
                <label><span>{move || if editing.get().is_some() { "新密码（不改请留空）" } else { "初始密码（至少 10 位）" }}</span>
                    <input type="password" autocomplete="new-password" data-testid="staff-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <button class="primary" type="submit" data-testid="staff-save">{move || if editing.get().is_some() { "保存修改" } else { "新增账号" }}</button>
            </form>
            <table class="inbox" data-testid="staff-table">
                <thead><tr><th>"照片"</th><th>"用户名"</th><th>"姓名"</th><th>"工号"</th><th>"角色"</th><th>"场所 / 窗口 / 部门"</th><th>"状态"</th><th></th></tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|r| {
                        let (e, t) = (r.clone(), r.clone());
                        view! {
                            <tr data-testid="staff-row" data-username=r.username.clone() data-active=r.active.to_string()>
                                <td>{r.photo_id.clone().map(|p| view! { <img class="staff-thumb" src=admin::photo_url(&p) alt="照片" width="40" height="50"/> })}</td>
                                <td>{r.username.clone()}</td>
                                <td>{r.display_name.clone()}</td>
                                <td>{r.staff_no.clone().unwrap_or_default()}</td>
                                <td>{role_zh(&r.role)}</td>
                                <td>{[r.place_code.clone(), r.window_code.clone(), r.department_code.clone()].into_iter().flatten().collect::<Vec<_>>().join(" / ")}</td>
                                <td>{if r.active { "启用" } else { "已停用" }}</td>
                                <td>
                                    <button class="secondary" on:click=move |_| {
                                        let r = e.clone();
                                        editing.set(Some(r.id));
                                        username.set(r.username); name.set(r.display_name); role.set(r.role);
                                        place.set(r.place_code.unwrap_or_default()); window.set(r.window_code.unwrap_or_default());
                                        dept.set(r.department_code.unwrap_or_default()); password.set(String::new());
                                        staff_no.set(r.staff_no.unwrap_or_default());
                                    }>"编辑"</button>
                                    <label class="button-link upload">"上传照片"
                                        <input type="file" accept="image/jpeg,image/png" class="visually-hidden" data-testid="staff-photo"
                                            on:change=move |ev| upload(r.id, ev)/>
                                    </label>
                                    <button class="secondary" data-testid="staff-toggle" on:click=move |_| toggle(t.clone())>{if r.active { "停用" } else { "启用" }}</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </StaffPage>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn an_audit_line_shows_only_the_fields_that_changed() {
        let before = json!({ "code": "HALL", "name": "旧名", "active": true });
        let after = json!({ "code": "HALL", "name": "新名", "active": true });
        assert_eq!(
            super::changes(Some(&before), Some(&after)),
            "name：旧名 → 新名"
        );
        assert_eq!(
            super::changes(None, Some(&json!({ "code": "W01", "window_code": null }))),
            "code：W01；window_code：—"
        );
    }
}
