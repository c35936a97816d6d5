//! 设备管理 (`/staff/devices`): registering kiosks and window pads, their
//! one-time enrolment codes, voice prompts and revocation.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::devices;
use app::api::types::{DeviceView, EnrolmentCode, RegisterDevice};
use app::web;
use domain::time::china_time;

/// Devices: register a kiosk (place) or window pad (window), give its
/// one-time enrolment code, revoke it.
#[component]
pub fn DevicesPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let devices: RwSignal<Vec<DeviceView>> = RwSignal::new(vec![]);
    let reload = move || {
        spawn_local(async move {
            match devices::devices().await {
                Ok(d) => devices.set(d),
                Err(e) => error.set(Some(e.message())),
            }
        })
    };
    let session = use_session_for(roles::DEVICES, error, move |_| reload());
    let code = RwSignal::new(String::new());
    let kind = RwSignal::new("kiosk".to_string());
    let place = RwSignal::new("HALL-DC".to_string());
    let window = RwSignal::new(String::new());
    let dimension_set = RwSignal::new(domain::DEFAULT_DIMENSION_SET.code.to_string());
    let issued: RwSignal<Option<EnrolmentCode>> = RwSignal::new(None);
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = RegisterDevice {
            code: code.get_untracked(),
            kind: kind.get_untracked(),
            place_code: place.get_untracked(),
            window_code: Some(window.get_untracked()),
            dimension_set: Some(dimension_set.get_untracked()),
        };
        spawn_local(async move {
            match devices::register_device(&csrf(session), &req).await {
                Ok(c) => {
                    error.set(None);
                    issued.set(Some(c));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    // A new enrolment code, or (`revoke`) the device stopped.
    let action = move |code: String, revoke: bool| {
        spawn_local(async move {
            let answer = if revoke {
                devices::revoke_device(&csrf(session), &code)
                    .await
                    .map(|()| None)
            } else {
                devices::new_enrolment(&csrf(session), &code)
                    .await
                    .map(Some)
            };
            match answer {
                Ok(c) => {
                    error.set(None);
                    if let Some(c) = c {
                        issued.set(Some(c));
                    }
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let set_voice = move |code: String, on: bool| {
        spawn_local(async move {
            match devices::set_device_voice(&csrf(session), &code, on).await {
                Ok(_) => reload(),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    view! {
        <Title text="设备管理 · 好差评"/>
        <StaffPage title=Signal::derive(|| "评价设备".to_string()) class="">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="devices-error">{e}</p> })}
            {move || issued.get().map(|c| view! {
                <div class="issued" data-testid="enrol-issued" data-code=c.enrol_code.clone()>
                    <p>{format!("设备 {} 的启用码：", c.device_code)}<strong data-testid="enrol-code-value">{c.enrol_code.clone()}</strong>"（24 小时内有效，只能使用一次）"</p>
                    <p>{format!("在设备上打开 {} 并输入启用码，或扫码：", c.path)}</p>
                    <img alt="设备地址二维码" width="200" height="200" src=format!("/qr.svg?path={}", js_sys::encode_uri_component(&c.path))/>
                </div>
            })}
            <form class="form row" on:submit=register>
                <label><span>"设备编号"</span><input data-testid="device-code" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/></label>
                <label><span>"类型"</span>
                    <select data-testid="device-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="kiosk" selected>"自助终端（绑定场所）"</option>
                        <option value="window_pad">"窗口评价器（绑定窗口）"</option>
                    </select></label>
                <label><span>"场所编码"</span><input data-testid="device-place" prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev))/></label>
                <label><span>"窗口编码"</span><input data-testid="device-window" prop:value=move || window.get() on:input=move |ev| window.set(event_target_value(&ev))/></label>
                <label><span>"分项评价指标"</span>
                    <select data-testid="device-dimension-set" on:change=move |ev| dimension_set.set(event_target_value(&ev))>
                        {domain::catalog::DIMENSION_SETS.iter().map(|s| view! {
                            <option value=s.code selected=move || dimension_set.get() == s.code>{s.label_zh}</option>
                        }).collect_view()}
                    </select></label>
                <button class="primary" type="submit" data-testid="device-register">"登记并生成启用码"</button>
            </form>
            <table class="inbox devices-table" data-testid="devices">
                <thead><tr><th>"编号"</th><th>"类型"</th><th>"场所 / 窗口"</th><th>"状态"</th><th>"最近联络"</th><th>"语音提示"</th><th></th></tr></thead>
                <tbody>
                    {move || devices.get().into_iter().map(|d| {
                        let c1 = d.code.clone();
                        let c2 = d.code.clone();
                        let c3 = d.code.clone();
                        let silent = d.silent(web::now_ms());
                        let voice = d.voice;
                        view! {
                            <tr data-testid="device-row" data-code=d.code.clone() data-state=d.state.clone() class:is-silent=silent data-silent=silent.to_string()>
                                <td>{d.code.clone()}</td>
                                <td>{if d.kind == "kiosk" { "自助终端" } else { "窗口评价器" }}</td>
                                <td>{match &d.window_name { Some(w) => format!("{} / {w}", d.place_name), None => d.place_name.clone() }}</td>
                                <td>{match d.state.as_str() { "enrolled" => "已启用", "revoked" => "已停用", _ => "待启用" }}</td>
                                <td data-testid="device-last-seen">
                                    {d.last_seen_at.map(china_time).unwrap_or_else(|| "从未联络".into())}
                                    {silent.then(|| view! { <span class="badge overdue" data-testid="device-silent">"超过一天未联络"</span> })}
                                </td>
                                <td>
                                    <label class="check"><input type="checkbox" data-testid="device-voice" prop:checked=voice
                                        on:change=move |_| set_voice(c3.clone(), !voice)/>{if voice { "开" } else { "关" }}</label>
                                </td>
                                <td>
                                    <button class="secondary" on:click=move |_| action(c1.clone(), false)>"新启用码"</button>
                                    <button class="secondary" data-testid="revoke" on:click=move |_| action(c2.clone(), true)>"停用"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </StaffPage>
    }
}
