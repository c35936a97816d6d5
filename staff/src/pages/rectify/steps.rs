//! The steps panel of a ticket: one form per step the server says is
//! possible now (`ticket.possible`), and the note they share.

use leptos::prelude::*;

use app::api::types::TicketDetail;
use domain::rectify::{Action, ActionKind, Outcome, Status, Verdict};
use domain::time::china_deadline;

/// The forms' state: it outlives every re-render of the detail.
#[derive(Clone, Copy)]
pub(super) struct StepForms {
    pub note: RwSignal<String>,
    pub reached: RwSignal<bool>,
    pub verdict: RwSignal<Verdict>,
    pub claim: RwSignal<Verdict>,
    pub new_due: RwSignal<String>,
    pub outcome: RwSignal<Outcome>,
    pub description: RwSignal<String>,
}

impl StepForms {
    pub fn new() -> Self {
        StepForms {
            note: RwSignal::new(String::new()),
            reached: RwSignal::new(true),
            verdict: RwSignal::new(Verdict::Valid),
            claim: RwSignal::new(Verdict::Invalid),
            new_due: RwSignal::new(String::new()),
            outcome: RwSignal::new(Outcome::Fixed),
            description: RwSignal::new(String::new()),
        }
    }
}

/// 办理: nothing before the ticket is loaded, a hint when no step is
/// possible, else the possible steps' forms.
#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn ActionsPanel(
    detail: RwSignal<Option<TicketDetail>>,
    possible: Memo<Vec<ActionKind>>,
    forms: StepForms,
    busy: RwSignal<bool>,
    uploading: RwSignal<bool>,
    step: Callback<Action>,
    extend: Callback<()>,
    upload: Callback<(leptos::ev::Event, &'static str)>,
) -> impl IntoView {
    let can = move |k: ActionKind| possible.with(|p| p.contains(&k));
    let loaded = Memo::new(move |_| detail.with(Option::is_some));
    move || {
        if !loaded.get() {
            return ().into_any();
        }
        if possible.with(Vec::is_empty) {
            return view! { <p class="hint" data-testid="no-actions">"当前没有需要您办理的步骤。"</p> }.into_any();
        }
        let disabled = Signal::derive(move || busy.get() || uploading.get());
        view! {
            <section class="actions-panel" data-testid="actions">
                <h2>"办理"</h2>
                <NoteBox possible=possible note=forms.note/>
                {can(ActionKind::Contact).then(|| view! { <ContactForm reached=forms.reached disabled=disabled step=step/> })}
                {can(ActionKind::Verify).then(|| view! { <VerifyForm verdict=forms.verdict disabled=disabled step=step/> })}
                {can(ActionKind::Decide).then(|| view! { <DecideForm detail=detail disabled=disabled step=step/> })}
                {can(ActionKind::Archive).then(|| view! { <ArchiveForm outcome=forms.outcome description=forms.description uploading=uploading disabled=disabled upload=upload step=step/> })}
                {can(ActionKind::RequestExtension).then(|| view! { <ExtendForm new_due=forms.new_due disabled=disabled extend=extend/> })}
                {can(ActionKind::Appeal).then(|| view! { <AppealForm claim=forms.claim uploading=uploading disabled=disabled upload=upload step=step/> })}
                {can(ActionKind::SpotCheck).then(|| view! { <SpotCheckForm disabled=disabled step=step/> })}
                {can(ActionKind::Close).then(|| view! { <CloseForm disabled=disabled step=step/> })}
            </section>
        }.into_any()
    }
}

/// 处理说明, shared by every step but 存档 (which has its own description).
#[component]
fn NoteBox(possible: Memo<Vec<ActionKind>>, note: RwSignal<String>) -> impl IntoView {
    move || {
        // 存档 alone uses its own description box.
        let others = possible.with(|p| p.iter().any(|k| *k != ActionKind::Archive));
        others.then(|| view! {
            <label class="note"><span>"处理说明"</span>
                <textarea rows="3" data-testid="note" placeholder="沟通情况、核实理由、申诉或延期理由、驳回原因等"
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea></label>
        })
    }
}

/// 沟通: was the citizen reached?
#[component]
fn ContactForm(
    reached: RwSignal<bool>,
    disabled: Signal<bool>,
    step: Callback<Action>,
) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-contact"><legend>{ActionKind::Contact.label_zh()}</legend>
            <div class="choices">
                <label class="check big"><input type="radio" name="reached" data-testid="reached" prop:checked=move || reached.get() on:change=move |_| reached.set(true)/>"已联系上评价人"</label>
                <label class="check big"><input type="radio" name="reached" data-testid="unreachable" prop:checked=move || !reached.get() on:change=move |_| reached.set(false)/>"未能联系上"</label>
            </div>
            <button class="primary" data-testid="step-contact" disabled=disabled
                on:click=move |_| step.run(Action::Contact { reached: reached.get_untracked() })>"提交沟通结果"</button>
        </fieldset>
    }
}

/// 核实: the unit's verdict on the rating.
#[component]
fn VerifyForm(
    verdict: RwSignal<Verdict>,
    disabled: Signal<bool>,
    step: Callback<Action>,
) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-verify"><legend>{ActionKind::Verify.label_zh()}</legend>
            <label><span>"核实结论"</span>
                <select data-testid="verdict" on:change=move |ev| verdict.set(Verdict::parse(&event_target_value(&ev)).unwrap_or(Verdict::Valid))>
                    {Verdict::ALL.iter().map(|v| view! { <option value=v.as_str() selected=move || verdict.get() == *v>{v.label_zh()}</option> }).collect_view()}
                </select></label>
            <button class="primary" data-testid="step-verify" disabled=disabled
                on:click=move |_| step.run(Action::Verify { verdict: verdict.get_untracked() })>"提交核实结论"</button>
        </fieldset>
    }
}

/// The supervisor approves or rejects what waits for review.
#[component]
fn DecideForm(
    detail: RwSignal<Option<TicketDetail>>,
    disabled: Signal<bool>,
    step: Callback<Action>,
) -> impl IntoView {
    let pending = move || {
        detail.with(|d| {
            let t = &d.as_ref()?.ticket;
            Some(match t.status {
                Status::PendingReview => format!(
                    "单位核实为“{}”，待审核",
                    t.proposed.map(|v| v.label_zh()).unwrap_or("—")
                ),
                Status::Appealed => format!(
                    "单位申诉为“{}”，待审核",
                    t.proposed.map(|v| v.label_zh()).unwrap_or("—")
                ),
                Status::ExtensionRequested => format!(
                    "申请将整改期限延至 {}",
                    t.requested_due.map(china_deadline).unwrap_or_default()
                ),
                s => s.label_zh().to_string(),
            })
        })
    };
    view! {
        <fieldset class="step" data-testid="form-decide"><legend>{ActionKind::Decide.label_zh()}</legend>
            <p class="pending" data-testid="pending">{pending}</p>
            <div class="choices">
                <button class="primary" data-testid="step-approve" disabled=disabled
                    on:click=move |_| step.run(Action::Decide { approve: true })>"批准"</button>
                <button class="secondary danger" data-testid="step-reject" disabled=disabled
                    on:click=move |_| step.run(Action::Decide { approve: false })>"驳回"</button>
            </div>
        </fieldset>
    }
}

/// 存档: the outcome, the description and evidence files.
#[component]
fn ArchiveForm(
    outcome: RwSignal<Outcome>,
    description: RwSignal<String>,
    uploading: RwSignal<bool>,
    disabled: Signal<bool>,
    upload: Callback<(leptos::ev::Event, &'static str)>,
    step: Callback<Action>,
) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-archive"><legend>{ActionKind::Archive.label_zh()}</legend>
            <label><span>"整改结果"</span>
                <select data-testid="outcome" on:change=move |ev| outcome.set(Outcome::parse(&event_target_value(&ev)).unwrap_or(Outcome::Fixed))>
                    {Outcome::ALL.iter().map(|o| view! { <option value=o.as_str() selected=move || outcome.get() == *o>{o.label_zh()}</option> }).collect_view()}
                </select></label>
            <label><span>"整改情况说明"</span>
                <textarea rows="4" data-testid="description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <small class="hint" data-testid="description-warning">"此说明将展示给被评价的窗口工作人员（系统会隐去手机号、证件号和姓名），请勿写入评价人的任何信息。"</small></label>
            <label><span>"佐证材料（JPEG、PNG 或 PDF，不超过 5 MB，选择后立即上传）"</span>
                <input type="file" data-testid="evidence-file" accept="image/jpeg,image/png,application/pdf"
                    disabled=move || uploading.get() on:change=move |ev| upload.run((ev, "archive"))/></label>
            {move || uploading.get().then(|| view! { <p class="hint" data-testid="uploading">"正在上传…"</p> })}
            <button class="primary" data-testid="step-archive" disabled=disabled
                on:click=move |_| step.run(Action::Archive { outcome: outcome.get_untracked() })>"整改存档"</button>
        </fieldset>
    }
}

/// 申请延期: a new rectification deadline.
#[component]
fn ExtendForm(
    new_due: RwSignal<String>,
    disabled: Signal<bool>,
    extend: Callback<()>,
) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-extend"><legend>{ActionKind::RequestExtension.label_zh()}</legend>
            <label><span>"新的整改期限（当天结束前）"</span>
                <input type="date" data-testid="new-due" prop:value=move || new_due.get() on:input=move |ev| new_due.set(event_target_value(&ev))/></label>
            <button class="secondary" data-testid="step-extend" disabled=disabled on:click=move |_| extend.run(())>"申请延期"</button>
        </fieldset>
    }
}

/// 申诉: the claim and optional evidence.
#[component]
fn AppealForm(
    claim: RwSignal<Verdict>,
    uploading: RwSignal<bool>,
    disabled: Signal<bool>,
    upload: Callback<(leptos::ev::Event, &'static str)>,
    step: Callback<Action>,
) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-appeal"><legend>{ActionKind::Appeal.label_zh()}</legend>
            <label><span>"申诉理由"</span>
                <select data-testid="claim" on:change=move |ev| claim.set(Verdict::parse(&event_target_value(&ev)).unwrap_or(Verdict::Invalid))>
                    {[Verdict::Invalid, Verdict::Malicious].into_iter().map(|v| view! { <option value=v.as_str() selected=move || claim.get() == v>{v.label_zh()}</option> }).collect_view()}
                </select></label>
            <label><span>"申诉材料（选填，JPEG、PNG 或 PDF，不超过 5 MB）"</span>
                <input type="file" data-testid="appeal-evidence-file" accept="image/jpeg,image/png,application/pdf"
                    disabled=move || uploading.get() on:change=move |ev| upload.run((ev, "appeal"))/></label>
            <button class="secondary" data-testid="step-appeal" disabled=disabled
                on:click=move |_| step.run(Action::Appeal { claim: claim.get_untracked() })>"提交申诉"</button>
        </fieldset>
    }
}

/// 抽查: the supervisor's check of an archived rectification.
#[component]
fn SpotCheckForm(disabled: Signal<bool>, step: Callback<Action>) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-spot-check"><legend>{ActionKind::SpotCheck.label_zh()}</legend>
            <div class="choices">
                <button class="primary" data-testid="spot-pass" disabled=disabled
                    on:click=move |_| step.run(Action::SpotCheck { pass: true })>"抽查合格"</button>
                <button class="secondary danger" data-testid="spot-fail" disabled=disabled
                    on:click=move |_| step.run(Action::SpotCheck { pass: false })>"不合格，重新整改"</button>
            </div>
        </fieldset>
    }
}

/// 办结 without the citizen's reply to the 回访.
#[component]
fn CloseForm(disabled: Signal<bool>, step: Callback<Action>) -> impl IntoView {
    view! {
        <fieldset class="step" data-testid="form-close"><legend>{ActionKind::Close.label_zh()}</legend>
            <p class="hint">"评价人未回复回访时，写明情况后办结。"</p>
            <button class="secondary" data-testid="step-close" disabled=disabled
                on:click=move |_| step.run(Action::Close)>"办结"</button>
        </fieldset>
    }
}
