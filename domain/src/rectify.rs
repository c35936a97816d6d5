//! The bad-rating closed loop (差评整改闭环), as a pure state machine.
//!
//! Every bad rating (不满意 / 非常不满意) opens a ticket. The steps follow
//! 《政务服务“好差评”实施办法》 §16-§20 (seed 004) and the district rules of
//! seed 001 §8-§12:
//!
//! ```text
//!  Open ──contact──▶ Contacted ──verify valid──▶ Rectifying ──archive──▶ AwaitingFeedback ──feedback──▶ Closed
//!                     │  verify invalid/malicious      │  ▲ request extension     │  spot-check fail ▲ (reopens)
//!                     ▼  (unit admin)                  ▼  │ decide                ▼  close (no answer)
//!                 PendingReview ──decide──▶ Excluded   ExtensionRequested         Closed
//!  Open/Contacted/Rectifying ──appeal (≤ 5 working days)──▶ Appealed ──decide──▶ Excluded | back
//! ```
//!
//! Deadlines come from [`LoopPolicy`] and the working-day [`Calendar`];
//! nothing here reads a clock: `now` is passed in.

use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, DaySpan};
use super::level::Level;

/// Who acts on a ticket: see [`crate::roles::Role`].
pub use crate::roles::Role;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> { Self::ALL.iter().copied().find(|x| x.as_str() == s) }
            pub fn label_zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            pub fn label_en(self) -> &'static str { match self { $($name::$v => $en),+ } }
        }
    };
}

str_enum!(
    /// Where a ticket stands.
    Status {
        Open = "open" / "待沟通" / "To contact",
        Contacted = "contacted" / "待核实" / "To verify",
        PendingReview = "pending_review" / "待审核（无效/恶意）" / "Awaiting approval (invalid/malicious)",
        Appealed = "appealed" / "申诉中" / "Appeal pending",
        Rectifying = "rectifying" / "整改中" / "Rectifying",
        ExtensionRequested = "extension_requested" / "延期待批" / "Extension requested",
        AwaitingFeedback = "awaiting_feedback" / "待回访评价" / "Awaiting re-rating",
        Closed = "closed" / "已办结" / "Closed",
        Excluded = "excluded" / "不纳入考核" / "Excluded from assessment",
    }
);

str_enum!(
    /// The finding of 核实.
    Verdict {
        /// 有效差评: must be rectified.
        Valid = "valid" / "有效差评" / "Valid",
        /// 无效评价: raised by the evaluator, not their true intent.
        Invalid = "invalid" / "无效评价" / "Invalid (not the evaluator's intent)",
        /// 恶意差评: contrary to the facts or insulting.
        Malicious = "malicious" / "恶意差评" / "Malicious",
    }
);

str_enum!(
    /// How a rectification ended.
    Outcome {
        Fixed = "fixed" / "已整改" / "Fixed",
        /// 暂时不能整改: explained to the evaluator.
        Unfixable = "unfixable" / "无法整改，已向评价人解释" / "Cannot be fixed; explained to the evaluator",
    }
);

str_enum!(
    /// The kinds of [`Action`], for permissions and the audit log.
    ActionKind {
        Contact = "contact" / "沟通" / "Contact",
        Verify = "verify" / "核实" / "Verify",
        Appeal = "appeal" / "申诉" / "Appeal",
        Decide = "decide" / "审核" / "Decide",
        RequestExtension = "request_extension" / "申请延期" / "Request extension",
        Archive = "archive" / "整改存档" / "Archive rectification",
        SpotCheck = "spot_check" / "抽查" / "Spot check",
        Feedback = "feedback" / "回访评价" / "Re-rating",
        Close = "close" / "办结" / "Close",
    }
);

/// One step on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 沟通: the evaluator was called (or could not be reached).
    Contact { reached: bool },
    /// 核实.
    Verify { verdict: Verdict },
    /// 申诉 by the rated unit, claiming the rating invalid or malicious.
    Appeal { claim: Verdict },
    /// The supervisor approves or rejects what is pending (an invalid or
    /// malicious verdict, an appeal, an extension).
    Decide { approve: bool },
    /// Cannot rectify in time: the reason (note) and a new deadline.
    RequestExtension { new_due: i64 },
    /// 存档: the rectification is done (or cannot be done and was explained).
    Archive { outcome: Outcome },
    /// 抽查 by the supervisor: a fail reopens the rectification.
    SpotCheck { pass: bool },
    /// 回访: the evaluator rates the rectification.
    Feedback { level: Level },
    /// No answer to the feedback request: closed with a note.
    Close,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Contact { .. } => ActionKind::Contact,
            Action::Verify { .. } => ActionKind::Verify,
            Action::Appeal { .. } => ActionKind::Appeal,
            Action::Decide { .. } => ActionKind::Decide,
            Action::RequestExtension { .. } => ActionKind::RequestExtension,
            Action::Archive { .. } => ActionKind::Archive,
            Action::SpotCheck { .. } => ActionKind::SpotCheck,
            Action::Feedback { .. } => ActionKind::Feedback,
            Action::Close => ActionKind::Close,
        }
    }

    /// Whether the step must say why (the note).
    pub fn needs_note(&self) -> bool {
        match self {
            Action::Verify { verdict } => *verdict != Verdict::Valid,
            Action::Appeal { .. }
            | Action::RequestExtension { .. }
            | Action::Archive { .. }
            | Action::Close => true,
            Action::SpotCheck { pass } => !pass,
            Action::Decide { approve } => !approve,
            Action::Contact { .. } | Action::Feedback { .. } => false,
        }
    }
}

impl ActionKind {
    /// Who may take this step. The organisational scope (a unit admin acts
    /// only on their unit's tickets) is checked by the server.
    pub fn allowed(self, role: Role) -> bool {
        use ActionKind as K;
        use Role as R;
        match self {
            K::Contact | K::Verify | K::Close => {
                matches!(role, R::UnitAdmin | R::Supervisor | R::Hotline)
            }
            K::Archive => matches!(role, R::UnitAdmin | R::Supervisor),
            K::Appeal | K::RequestExtension => role == R::UnitAdmin,
            K::Decide | K::SpotCheck => role == R::Supervisor,
            K::Feedback => matches!(role, R::Citizen | R::Hotline),
        }
    }
}

/// Day counts and choices, all policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoopPolicy {
    /// 沟通: 2 working days.
    pub contact: DaySpan,
    /// 申诉: 5 working days.
    pub appeal: DaySpan,
    /// 整改: 15 natural days from verification.
    pub rectify: DaySpan,
    /// 抽查: at least this percentage of each unit's rectifications.
    pub spot_check_percent: u32,
}

impl Default for LoopPolicy {
    fn default() -> Self {
        LoopPolicy {
            contact: DaySpan::working(2),
            appeal: DaySpan::working(5),
            rectify: DaySpan::natural(15),
            spot_check_percent: 50,
        }
    }
}

/// The state of one ticket: everything the rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub status: Status,
    /// When the bad rating was given.
    pub opened_at: i64,
    /// The evaluator left a phone number (contact and feedback possible).
    pub has_phone: bool,
    pub contact_due: i64,
    pub appeal_due: i64,
    pub rectify_due: Option<i64>,
    pub contacted_at: Option<i64>,
    pub verdict: Option<Verdict>,
    /// Awaiting the supervisor: a proposed invalid/malicious verdict.
    pub proposed: Option<Verdict>,
    pub appealed: bool,
    /// Where a rejected appeal returns.
    pub resume: Option<Status>,
    pub requested_due: Option<i64>,
    /// The supervisor approved a later rectification deadline.
    pub extended: bool,
    pub outcome: Option<Outcome>,
    pub archived_at: Option<i64>,
    /// Archived before the assessed deadline ([`assessed_deadline`]).
    pub on_time: Option<bool>,
    pub spot_check: Option<bool>,
    /// GB/T 39046 code of the re-rating.
    pub feedback_level: Option<u8>,
    pub closed_at: Option<i64>,
    /// Routed through the 12345 hotline (002 一(三)): the hotline contacts
    /// and verifies, and invites the re-rating; the unit rectifies.
    #[serde(default)]
    pub via_hotline: bool,
}

/// Which deadline a ticket in `status` has missed at `now`, if any (the
/// ticket list's overdue filter runs the same rule in SQL).
pub fn overdue(
    status: Status,
    contact_due: i64,
    rectify_due: Option<i64>,
    now: i64,
) -> Option<Overdue> {
    match status {
        Status::Open if now >= contact_due => Some(Overdue::Contact),
        Status::Rectifying | Status::ExtensionRequested
            if rectify_due.is_some_and(|d| now >= d) =>
        {
            Some(Overdue::Rectify)
        }
        _ => None,
    }
}

/// The rectification deadline a bad rating is assessed against (差评按期整改率):
/// the one it would have had had every step been taken on time, that is
/// rectification counted from the contact deadline. A ticket verified
/// earlier keeps its earlier deadline; a ticket verified late, or never,
/// does not gain time by it. Only an extension the supervisor approved
/// moves it later. A rectification reopened by a failed spot check is
/// still judged against this deadline.
pub fn assessed_deadline(
    contact_due: i64,
    rectify_due: Option<i64>,
    extended: bool,
    cal: &Calendar,
    p: &LoopPolicy,
) -> i64 {
    let standard = cal.due(contact_due, p.rectify);
    match rectify_due {
        Some(d) if extended => d,
        Some(d) => d.min(standard),
        None => standard,
    }
}

/// What a ticket adds to the rectification figures at `now`: verified as
/// a valid bad rating, archived, archived on time, due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessed {
    pub verified: bool,
    pub archived: bool,
    pub on_time: bool,
    pub due: bool,
    /// The contact deadline has passed, or the evaluator was contacted.
    pub contact_due: bool,
    /// Contacted (reached or not) before the contact deadline.
    pub contacted_on_time: bool,
}

/// [`Assessed`] from a ticket's stored state. A rectification reopened by a
/// failed spot check is not archived until it is archived again.
#[allow(clippy::too_many_arguments)]
pub fn assess(
    status: Status,
    verdict: Option<Verdict>,
    contact_due: i64,
    contacted_at: Option<i64>,
    rectify_due: Option<i64>,
    extended: bool,
    archived_at: Option<i64>,
    now: i64,
    cal: &Calendar,
    p: &LoopPolicy,
) -> Assessed {
    let deadline = assessed_deadline(contact_due, rectify_due, extended, cal, p);
    let archived_at =
        archived_at.filter(|_| matches!(status, Status::AwaitingFeedback | Status::Closed));
    Assessed {
        verified: verdict == Some(Verdict::Valid) && status != Status::Excluded,
        archived: archived_at.is_some(),
        on_time: archived_at.is_some_and(|a| a < deadline),
        due: archived_at.is_some() || now >= deadline,
        contact_due: contacted_at.is_some() || now >= contact_due,
        contacted_on_time: contacted_at.is_some_and(|c| c < contact_due),
    }
}

/// Longest note on a step.
pub const NOTE_MAX_CHARS: usize = 1000;

/// Why a step was refused. Each has a stable code and messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoopError {
    #[error("role may not take this step")]
    NotAllowed,
    #[error("not possible in this state")]
    WrongState { status: Status, action: ActionKind },
    #[error("appeal deadline passed")]
    AppealLate,
    #[error("already appealed")]
    AlreadyAppealed,
    #[error("an appeal claims invalid or malicious")]
    AppealClaimValid,
    #[error("note required")]
    NoteRequired,
    #[error("note too long")]
    NoteTooLong,
    #[error("new deadline not later")]
    DueNotLater,
    #[error("already spot-checked")]
    AlreadyChecked,
}

impl LoopError {
    pub fn code(&self) -> &'static str {
        match self {
            LoopError::NotAllowed => "role",
            LoopError::WrongState { .. } => "wrong_state",
            LoopError::AppealLate => "appeal_late",
            LoopError::AlreadyAppealed => "already_appealed",
            LoopError::AppealClaimValid => "appeal_claim",
            LoopError::NoteRequired => "note_required",
            LoopError::NoteTooLong => "note_too_long",
            LoopError::DueNotLater => "due_not_later",
            LoopError::AlreadyChecked => "already_checked",
        }
    }
    pub fn message_zh(&self) -> String {
        match self {
            LoopError::NotAllowed => "您的角色不能进行这一步".into(),
            LoopError::WrongState { status, action } => format!(
                "当前状态为“{}”，不能进行“{}”",
                status.label_zh(),
                action.label_zh()
            ),
            LoopError::AppealLate => "已超过 5 个工作日的申诉期限".into(),
            LoopError::AlreadyAppealed => "此差评已申诉过，不能重复申诉".into(),
            LoopError::AppealClaimValid => "申诉须主张无效评价或恶意差评".into(),
            LoopError::NoteRequired => "请填写说明".into(),
            LoopError::NoteTooLong => format!("说明不能超过 {NOTE_MAX_CHARS} 字"),
            LoopError::DueNotLater => "新的整改期限必须晚于原期限".into(),
            LoopError::AlreadyChecked => "本次整改已抽查过".into(),
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            LoopError::NotAllowed => "Your role may not take this step".into(),
            LoopError::WrongState { status, action } => format!(
                "The ticket is “{}”: “{}” is not possible now",
                status.label_en(),
                action.label_en()
            ),
            LoopError::AppealLate => "The 5-working-day appeal period has passed".into(),
            LoopError::AlreadyAppealed => "This rating has already been appealed".into(),
            LoopError::AppealClaimValid => "An appeal must claim invalid or malicious".into(),
            LoopError::NoteRequired => "Write a note for this step".into(),
            LoopError::NoteTooLong => {
                format!("The note may have at most {NOTE_MAX_CHARS} characters")
            }
            LoopError::DueNotLater => "The new deadline must be later than the current one".into(),
            LoopError::AlreadyChecked => "This rectification has already been spot-checked".into(),
        }
    }
}

impl Ticket {
    /// The ticket a bad rating opens at `opened_at`.
    pub fn open(opened_at: i64, has_phone: bool, cal: &Calendar, p: &LoopPolicy) -> Ticket {
        Ticket {
            status: Status::Open,
            opened_at,
            has_phone,
            contact_due: cal.due(opened_at, p.contact),
            appeal_due: cal.due(opened_at, p.appeal),
            rectify_due: None,
            contacted_at: None,
            verdict: None,
            proposed: None,
            appealed: false,
            resume: None,
            requested_due: None,
            extended: false,
            outcome: None,
            archived_at: None,
            on_time: None,
            spot_check: None,
            feedback_level: None,
            closed_at: None,
            via_hotline: false,
        }
    }

    /// Whether `role` may take a step of `kind` on this ticket: the role's
    /// right ([`ActionKind::allowed`]), and who handles it. The hotline acts
    /// only on tickets routed to it; on those, contact, verification and
    /// closing are the hotline's, not the unit's (the supervisor may still
    /// step in).
    pub fn may(&self, kind: ActionKind, role: Role) -> bool {
        use ActionKind as K;
        kind.allowed(role)
            && (role != Role::Hotline || self.via_hotline)
            && !(self.via_hotline
                && role == Role::UnitAdmin
                && matches!(kind, K::Contact | K::Verify | K::Close))
    }

    /// Takes one step; the ticket is unchanged on error.
    pub fn apply(
        &self,
        action: Action,
        role: Role,
        note: &str,
        now: i64,
        cal: &Calendar,
        p: &LoopPolicy,
    ) -> Result<Ticket, LoopError> {
        let kind = action.kind();
        if !self.may(kind, role) {
            return Err(LoopError::NotAllowed);
        }
        if note.chars().count() > NOTE_MAX_CHARS {
            return Err(LoopError::NoteTooLong);
        }
        if action.needs_note() && note.trim().is_empty() {
            return Err(LoopError::NoteRequired);
        }
        let wrong = || LoopError::WrongState {
            status: self.status,
            action: kind,
        };
        let mut t = self.clone();
        use Status as S;
        match (action, self.status) {
            (Action::Contact { .. }, S::Open) => {
                t.status = S::Contacted;
                t.contacted_at = Some(now);
            }
            (Action::Verify { verdict }, S::Contacted) => match verdict {
                Verdict::Valid => t.start_rectifying(now, cal, p),
                _ if role == Role::Supervisor => t.exclude(verdict),
                _ => {
                    t.status = S::PendingReview;
                    t.proposed = Some(verdict);
                }
            },
            (Action::Appeal { claim }, S::Open | S::Contacted | S::Rectifying) => {
                if claim == Verdict::Valid {
                    return Err(LoopError::AppealClaimValid);
                }
                if self.appealed {
                    return Err(LoopError::AlreadyAppealed);
                }
                if now >= self.appeal_due {
                    return Err(LoopError::AppealLate);
                }
                t.appealed = true;
                t.resume = Some(self.status);
                t.proposed = Some(claim);
                t.status = S::Appealed;
            }
            (Action::Decide { approve }, S::PendingReview) => {
                if approve {
                    t.exclude(self.proposed.unwrap_or(Verdict::Invalid));
                } else {
                    t.proposed = None;
                    t.start_rectifying(now, cal, p);
                }
            }
            (Action::Decide { approve }, S::Appealed) => {
                if approve {
                    t.exclude(self.proposed.unwrap_or(Verdict::Malicious));
                } else {
                    t.proposed = None;
                    t.status = self.resume.unwrap_or(S::Contacted);
                }
                t.resume = None;
            }
            (Action::Decide { approve }, S::ExtensionRequested) => {
                if approve {
                    t.rectify_due = self.requested_due;
                    t.extended = true;
                }
                t.requested_due = None;
                t.status = S::Rectifying;
            }
            (Action::RequestExtension { new_due }, S::Rectifying) => {
                if self.rectify_due.is_some_and(|d| new_due <= d) || new_due <= now {
                    return Err(LoopError::DueNotLater);
                }
                t.requested_due = Some(new_due);
                t.status = S::ExtensionRequested;
            }
            (Action::Archive { outcome }, S::Rectifying) => {
                t.outcome = Some(outcome);
                t.archived_at = Some(now);
                t.on_time = Some(
                    now < assessed_deadline(
                        self.contact_due,
                        self.rectify_due,
                        self.extended,
                        cal,
                        p,
                    ),
                );
                t.spot_check = None;
                if self.has_phone {
                    t.status = S::AwaitingFeedback;
                } else {
                    t.status = S::Closed;
                    t.closed_at = Some(now);
                }
            }
            (Action::SpotCheck { pass }, S::AwaitingFeedback | S::Closed)
                if self.archived_at.is_some() =>
            {
                if self.spot_check.is_some() {
                    return Err(LoopError::AlreadyChecked);
                }
                t.spot_check = Some(pass);
                if !pass {
                    // Reopened: a new period to rectify; the citizen's
                    // rating of the failed attempt no longer stands.
                    t.outcome = None;
                    t.closed_at = None;
                    t.feedback_level = None;
                    t.start_rectifying(now, cal, p);
                }
            }
            (Action::Feedback { level }, S::AwaitingFeedback) => {
                t.feedback_level = Some(level_code(level));
                t.status = S::Closed;
                t.closed_at = Some(now);
            }
            (Action::Close, S::AwaitingFeedback) => {
                t.status = S::Closed;
                t.closed_at = Some(now);
            }
            _ => return Err(wrong()),
        }
        Ok(t)
    }

    fn start_rectifying(&mut self, now: i64, cal: &Calendar, p: &LoopPolicy) {
        self.status = Status::Rectifying;
        self.verdict = Some(Verdict::Valid);
        self.rectify_due = Some(cal.due(now, p.rectify));
    }

    fn exclude(&mut self, verdict: Verdict) {
        self.status = Status::Excluded;
        self.verdict = Some(verdict);
        self.proposed = None;
    }

    /// Which deadline, if any, has passed while still open.
    pub fn overdue(&self, now: i64) -> Option<Overdue> {
        overdue(self.status, self.contact_due, self.rectify_due, now)
    }

    /// The deadline the ticket is working against now.
    pub fn next_due(&self) -> Option<i64> {
        match self.status {
            Status::Open => Some(self.contact_due),
            Status::Rectifying | Status::ExtensionRequested => self.rectify_due,
            _ => None,
        }
    }

    /// Counted in assessment figures (not invalid or malicious).
    pub fn counts(&self) -> bool {
        self.status != Status::Excluded
    }

    /// The steps `role` could take now (for the tablet's buttons).
    pub fn possible(&self, role: Role, now: i64) -> Vec<ActionKind> {
        use ActionKind as K;
        use Status as S;
        let by_state: &[ActionKind] = match self.status {
            S::Open => &[K::Contact, K::Appeal],
            S::Contacted => &[K::Verify, K::Appeal],
            S::PendingReview | S::Appealed | S::ExtensionRequested => &[K::Decide],
            S::Rectifying => &[K::Archive, K::RequestExtension, K::Appeal],
            S::AwaitingFeedback => &[K::SpotCheck, K::Close],
            S::Closed if self.archived_at.is_some() => &[K::SpotCheck],
            S::Closed | S::Excluded => &[],
        };
        by_state
            .iter()
            .copied()
            .filter(|k| self.may(*k, role))
            .filter(|k| *k != K::Appeal || (!self.appealed && now < self.appeal_due))
            .filter(|k| *k != K::SpotCheck || self.spot_check.is_none())
            .collect()
    }
}

fn level_code(level: Level) -> u8 {
    super::level::CodeMap::Gbt39046.encode(level)
}

/// A deadline missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Overdue {
    Contact,
    Rectify,
}

impl Overdue {
    pub fn label_zh(self) -> &'static str {
        match self {
            Overdue::Contact => "沟通超期",
            Overdue::Rectify => "整改超期",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Overdue::Contact => "Contact overdue",
            Overdue::Rectify => "Rectification overdue",
        }
    }
}

/// 整改满意率: re-ratings that are not bad over all re-ratings, in percent.
pub fn satisfaction_percent(feedback_levels: &[u8]) -> Option<f64> {
    if feedback_levels.is_empty() {
        return None;
    }
    let good = feedback_levels.iter().filter(|&&c| c <= 3).count();
    Some(good as f64 * 100.0 / feedback_levels.len() as f64)
}

/// One archived rectification, for drawing the spot-check sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleItem {
    pub id: i64,
    pub unit: i64,
    pub checked: bool,
}

/// The spot-check sample: per unit, every item already checked plus
/// unchecked ones in a stable pseudo-random order (by `seed`, e.g. the
/// period) until at least `percent`% of the unit's items are in. Sorted ids.
pub fn spot_check_sample(items: &[SampleItem], percent: u32, seed: u64) -> Vec<i64> {
    let mut by_unit: std::collections::BTreeMap<i64, Vec<SampleItem>> = Default::default();
    for it in items {
        by_unit.entry(it.unit).or_default().push(*it);
    }
    let mut out = Vec::new();
    for (_, mut list) in by_unit {
        let need = (list.len() * percent.min(100) as usize).div_ceil(100);
        list.sort_by_key(|it| (!it.checked, mix(seed ^ it.id as u64), it.id));
        let checked = list.iter().filter(|it| it.checked).count();
        out.extend(list.iter().take(need.max(checked)).map(|it| it.id));
    }
    out.sort_unstable();
    out
}

/// splitmix64's finaliser: a stable, well-spread order.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What bad ratings have in common (共性问题).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum GroupKey {
    Window(i64),
    ServiceItem(i64),
    Reason(String),
}

/// One open ticket, for grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    pub id: i64,
    pub window_id: Option<i64>,
    pub service_item_id: Option<i64>,
    pub reasons: Vec<String>,
}

/// Groups of at least `min` tickets sharing a window, a service item or a
/// reason tag; largest first. A ticket may be in several groups: the
/// administrator picks which to rectify as one.
pub fn common_problems(items: &[GroupInput], min: usize) -> Vec<(GroupKey, Vec<i64>)> {
    let mut groups: std::collections::BTreeMap<GroupKey, Vec<i64>> = Default::default();
    for it in items {
        let mut keys = Vec::new();
        keys.extend(it.window_id.map(GroupKey::Window));
        keys.extend(it.service_item_id.map(GroupKey::ServiceItem));
        keys.extend(it.reasons.iter().cloned().map(GroupKey::Reason));
        keys.sort();
        keys.dedup();
        for k in keys {
            groups.entry(k).or_default().push(it.id);
        }
    }
    let mut out: Vec<_> = groups
        .into_iter()
        .filter(|(_, ids)| ids.len() >= min.max(2))
        .map(|(k, mut ids)| {
            ids.sort_unstable();
            (k, ids)
        })
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Evidence files (存档佐证材料).
pub const EVIDENCE_MAX_BYTES: usize = 5 * 1024 * 1024;
pub const EVIDENCE_MAX_FILES: usize = 10;
pub const EVIDENCE_NAME_MAX_CHARS: usize = 100;

str_enum!(
    /// The file types accepted as evidence.
    EvidenceType {
        Jpeg = "image/jpeg" / "JPEG 图片" / "JPEG image",
        Png = "image/png" / "PNG 图片" / "PNG image",
        Pdf = "application/pdf" / "PDF 文件" / "PDF document",
    }
);

impl EvidenceType {
    fn magic(self) -> &'static [u8] {
        match self {
            EvidenceType::Jpeg => &[0xff, 0xd8, 0xff],
            EvidenceType::Png => b"\x89PNG\r\n\x1a\n",
            EvidenceType::Pdf => b"%PDF-",
        }
    }
}

/// Why an evidence file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("empty file")]
    Empty,
    #[error("file too large")]
    TooLarge,
    #[error("type not allowed")]
    TypeNotAllowed,
    #[error("content does not match type")]
    ContentMismatch,
    #[error("too many files")]
    TooMany,
    #[error("bad file name")]
    BadName,
}

impl EvidenceError {
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::Empty => "file_empty",
            EvidenceError::TooLarge => "file_too_large",
            EvidenceError::TypeNotAllowed => "file_type",
            EvidenceError::ContentMismatch => "file_content",
            EvidenceError::TooMany => "too_many_files",
            EvidenceError::BadName => "file_name",
        }
    }
    pub fn message_zh(&self) -> String {
        match self {
            EvidenceError::Empty => "文件是空的".into(),
            EvidenceError::TooLarge => {
                format!("文件不能超过 {} MB", EVIDENCE_MAX_BYTES / 1024 / 1024)
            }
            EvidenceError::TypeNotAllowed => "只能上传 JPEG、PNG 图片或 PDF 文件".into(),
            EvidenceError::ContentMismatch => {
                "文件内容与类型不符（文件可能已损坏或改过扩展名）".into()
            }
            EvidenceError::TooMany => format!("每件差评最多上传 {EVIDENCE_MAX_FILES} 个佐证材料"),
            EvidenceError::BadName => {
                format!("文件名须为 1 至 {EVIDENCE_NAME_MAX_CHARS} 个字符，且不含路径")
            }
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            EvidenceError::Empty => "The file is empty".into(),
            EvidenceError::TooLarge => format!(
                "Files may be at most {} MB",
                EVIDENCE_MAX_BYTES / 1024 / 1024
            ),
            EvidenceError::TypeNotAllowed => {
                "Only JPEG or PNG images and PDF files are accepted".into()
            }
            EvidenceError::ContentMismatch => {
                "The file's content does not match its type (damaged or renamed?)".into()
            }
            EvidenceError::TooMany => {
                format!("At most {EVIDENCE_MAX_FILES} evidence files per ticket")
            }
            EvidenceError::BadName => format!(
                "File names must have 1 to {EVIDENCE_NAME_MAX_CHARS} characters and no path"
            ),
        }
    }
}

/// Checks an upload: declared type, size, the first bytes and how many the
/// ticket already has.
pub fn check_evidence(
    name: &str,
    content_type: &str,
    bytes: &[u8],
    existing: usize,
) -> Result<EvidenceType, EvidenceError> {
    if existing >= EVIDENCE_MAX_FILES {
        return Err(EvidenceError::TooMany);
    }
    let n = name.chars().count();
    if n == 0
        || n > EVIDENCE_NAME_MAX_CHARS
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(EvidenceError::BadName);
    }
    let ty = EvidenceType::parse(content_type.split(';').next().unwrap_or("").trim())
        .ok_or(EvidenceError::TypeNotAllowed)?;
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.len() > EVIDENCE_MAX_BYTES {
        return Err(EvidenceError::TooLarge);
    }
    if !bytes.starts_with(ty.magic()) {
        return Err(EvidenceError::ContentMismatch);
    }
    Ok(ty)
}

#[cfg(test)]
mod tests {
    use super::super::calendar::{Date, DAY_MS};
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 3_600_000;

    fn cal() -> Calendar {
        Calendar::shipped()
    }
    fn p() -> LoopPolicy {
        LoopPolicy::default()
    }
    fn at(y: i32, m: u32, d: u32, h: i64) -> i64 {
        Date::new(y, m, d).start_ms() + h * HOUR
    }
    /// A ticket opened Monday 2026-11-16 10:00 with a phone number.
    fn open() -> Ticket {
        Ticket::open(at(2026, 11, 16, 10), true, &cal(), &p())
    }
    fn step(t: &Ticket, a: Action, r: Role, now: i64) -> Result<Ticket, LoopError> {
        t.apply(a, r, "说明", now, &cal(), &p())
    }
    fn ok(t: &Ticket, a: Action, r: Role, now: i64) -> Ticket {
        step(t, a, r, now).unwrap_or_else(|e| panic!("{a:?} by {r:?} from {:?}: {e:?}", t.status))
    }
    fn contacted() -> Ticket {
        ok(
            &open(),
            Action::Contact { reached: true },
            Role::UnitAdmin,
            at(2026, 11, 16, 15),
        )
    }
    fn rectifying() -> Ticket {
        ok(
            &contacted(),
            Action::Verify {
                verdict: Verdict::Valid,
            },
            Role::UnitAdmin,
            at(2026, 11, 17, 9),
        )
    }
    fn archived() -> Ticket {
        ok(
            &rectifying(),
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            at(2026, 11, 20, 9),
        )
    }

    fn assess_at(t: &Ticket, now: i64) -> Assessed {
        assess(
            t.status,
            t.verdict,
            t.contact_due,
            t.contacted_at,
            t.rectify_due,
            t.extended,
            t.archived_at,
            now,
            &cal(),
            &p(),
        )
    }

    #[test]
    fn a_bad_rating_never_contacted_or_verified_falls_due_all_the_same() {
        let t = open();
        let deadline = assessed_deadline(t.contact_due, None, false, &cal(), &p());
        // Contact due Thu 11-19 00:00, then 15 natural days.
        assert_eq!(
            deadline,
            cal().due(at(2026, 11, 19, 0), DaySpan::natural(15))
        );
        assert!(deadline > at(2026, 12, 2, 0) && deadline <= at(2026, 12, 5, 0));
        assert!(!assess_at(&t, deadline - 1).due);
        let late = assess_at(&t, deadline);
        assert!(late.due && !late.on_time && !late.archived && !late.verified);
        // Five years on, it is still due and still late.
        assert!(assess_at(&t, deadline + 5 * 365 * 24 * HOUR).due);
    }

    #[test]
    fn verifying_late_gains_no_time_and_verifying_early_keeps_the_earlier_deadline() {
        let standard = assessed_deadline(open().contact_due, None, false, &cal(), &p());
        // Verified on time (11-17): its own rectification deadline, earlier.
        let early = rectifying();
        assert!(early.rectify_due.unwrap() < standard);
        assert_eq!(
            assessed_deadline(early.contact_due, early.rectify_due, false, &cal(), &p()),
            early.rectify_due.unwrap()
        );
        // Contacted and verified two weeks late: still the standard deadline.
        let c = ok(
            &open(),
            Action::Contact { reached: true },
            Role::UnitAdmin,
            at(2026, 11, 30, 9),
        );
        let late = ok(
            &c,
            Action::Verify {
                verdict: Verdict::Valid,
            },
            Role::UnitAdmin,
            at(2026, 11, 30, 10),
        );
        assert!(late.rectify_due.unwrap() > standard);
        let archived = ok(
            &late,
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            standard + HOUR,
        );
        assert_eq!(
            archived.on_time,
            Some(false),
            "archived after the assessed deadline"
        );
        let a = assess_at(&archived, standard + 2 * HOUR);
        assert!(a.verified && a.archived && a.due && !a.on_time);
    }

    #[test]
    fn only_an_approved_extension_moves_the_assessed_deadline() {
        let r = rectifying();
        let due = r.rectify_due.unwrap();
        let asked = ok(
            &r,
            Action::RequestExtension {
                new_due: due + 10 * 24 * HOUR,
            },
            Role::UnitAdmin,
            due - HOUR,
        );
        assert!(assess_at(&asked, due).due, "asked is not granted");
        let granted = ok(
            &asked,
            Action::Decide { approve: true },
            Role::Supervisor,
            due - HOUR,
        );
        assert!(granted.extended);
        assert!(!assess_at(&granted, due).due);
        let done = ok(
            &granted,
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            due + HOUR,
        );
        assert_eq!(done.on_time, Some(true));
        assert!(assess_at(&done, due + 2 * HOUR).on_time);
    }

    #[test]
    fn a_rectification_reopened_by_a_failed_spot_check_is_not_archived() {
        let failed = ok(
            &archived(),
            Action::SpotCheck { pass: false },
            Role::Supervisor,
            at(2026, 11, 21, 9),
        );
        assert!(
            failed.archived_at.is_some(),
            "the first archive stays on record"
        );
        let a = assess_at(&failed, at(2026, 11, 21, 10));
        assert!(!a.archived && !a.on_time);
    }

    #[test]
    fn a_new_ticket_has_its_contact_and_appeal_deadlines_in_working_days() {
        let t = open();
        assert_eq!(t.status, Status::Open);
        // Mon 16 → Tue 17, Wed 18: ends at Thu 19 00:00.
        assert_eq!(t.contact_due, at(2026, 11, 19, 0));
        // Five working days: 17, 18, 19, 20, 23 → ends Tue 24 00:00.
        assert_eq!(t.appeal_due, at(2026, 11, 24, 0));
        assert_eq!(t.next_due(), Some(t.contact_due));
    }

    #[test]
    fn a_ticket_opened_before_spring_festival_must_be_contacted_by_the_tuesday_after() {
        // Friday 2026-02-13; the 调休 Saturday 02-14 is the first working day.
        let t = Ticket::open(at(2026, 2, 13, 16), true, &cal(), &p());
        assert_eq!(t.contact_due, at(2026, 2, 25, 0));
        assert_eq!(t.overdue(at(2026, 2, 24, 23)), None);
        assert_eq!(t.overdue(at(2026, 2, 25, 0)), Some(Overdue::Contact));
        // Appeals: 02-14, 02-24, 02-25, 02-26, 02-27 → ends 02-28 00:00 (the 调休 Saturday 28th is the 6th).
        assert_eq!(t.appeal_due, at(2026, 2, 28, 0));
    }

    #[test]
    fn contact_moves_open_to_contacted_and_ends_the_contact_deadline() {
        let t = contacted();
        assert_eq!(t.status, Status::Contacted);
        assert_eq!(t.contacted_at, Some(at(2026, 11, 16, 15)));
        assert_eq!(t.overdue(at(2026, 12, 30, 0)), None);
        // Unreachable evaluators are recorded the same way.
        let u = ok(
            &open(),
            Action::Contact { reached: false },
            Role::Supervisor,
            at(2026, 11, 16, 15),
        );
        assert_eq!(u.status, Status::Contacted);
    }

    #[test]
    fn window_staff_and_system_admins_take_no_step_and_the_citizen_only_rates() {
        let t = open();
        for r in [Role::WindowStaff, Role::SystemAdmin, Role::Citizen] {
            assert_eq!(
                step(
                    &t,
                    Action::Contact { reached: true },
                    r,
                    at(2026, 11, 16, 11)
                ),
                Err(LoopError::NotAllowed)
            );
        }
        let a = archived();
        for r in [
            Role::WindowStaff,
            Role::UnitAdmin,
            Role::Supervisor,
            Role::SystemAdmin,
        ] {
            assert_eq!(
                step(
                    &a,
                    Action::Feedback {
                        level: Level::Satisfied
                    },
                    r,
                    at(2026, 11, 21, 0)
                ),
                Err(LoopError::NotAllowed)
            );
        }
        assert!(!Role::WindowStaff.may_reveal_phone() && !Role::SystemAdmin.may_reveal_phone());
        assert!(Role::UnitAdmin.may_reveal_phone() && Role::Supervisor.may_reveal_phone());
    }

    #[test]
    fn a_valid_verdict_starts_15_natural_days_of_rectification() {
        let t = rectifying();
        assert_eq!(t.status, Status::Rectifying);
        assert_eq!(t.verdict, Some(Verdict::Valid));
        // Verified Tue 2026-11-17: 15 natural days end at 12-03 00:00.
        assert_eq!(t.rectify_due, Some(at(2026, 12, 3, 0)));
        assert_eq!(t.overdue(at(2026, 12, 2, 23)), None);
        assert_eq!(t.overdue(at(2026, 12, 3, 0)), Some(Overdue::Rectify));
    }

    #[test]
    fn verify_needs_contact_first() {
        assert_eq!(
            step(
                &open(),
                Action::Verify {
                    verdict: Verdict::Valid
                },
                Role::UnitAdmin,
                at(2026, 11, 16, 11)
            ),
            Err(LoopError::WrongState {
                status: Status::Open,
                action: ActionKind::Verify
            })
        );
    }

    #[test]
    fn an_invalid_verdict_by_a_unit_admin_waits_for_the_supervisor_and_needs_a_reason() {
        let c = contacted();
        let now = at(2026, 11, 17, 9);
        assert_eq!(
            c.apply(
                Action::Verify {
                    verdict: Verdict::Invalid
                },
                Role::UnitAdmin,
                " ",
                now,
                &cal(),
                &p()
            ),
            Err(LoopError::NoteRequired)
        );
        let t = ok(
            &c,
            Action::Verify {
                verdict: Verdict::Invalid,
            },
            Role::UnitAdmin,
            now,
        );
        assert_eq!(
            (t.status, t.proposed, t.verdict),
            (Status::PendingReview, Some(Verdict::Invalid), None)
        );
        assert!(t.counts());
        // Only the supervisor decides.
        assert_eq!(
            step(&t, Action::Decide { approve: true }, Role::UnitAdmin, now),
            Err(LoopError::NotAllowed)
        );
        let yes = ok(&t, Action::Decide { approve: true }, Role::Supervisor, now);
        assert_eq!(
            (yes.status, yes.verdict),
            (Status::Excluded, Some(Verdict::Invalid))
        );
        assert!(!yes.counts());
        // Rejected: it is a valid bad rating, rectified from now.
        let no = ok(
            &t,
            Action::Decide { approve: false },
            Role::Supervisor,
            at(2026, 11, 18, 9),
        );
        assert_eq!(
            (no.status, no.verdict),
            (Status::Rectifying, Some(Verdict::Valid))
        );
        assert_eq!(no.rectify_due, Some(at(2026, 12, 4, 0)));
    }

    #[test]
    fn a_supervisor_marking_malicious_excludes_at_once() {
        let t = ok(
            &contacted(),
            Action::Verify {
                verdict: Verdict::Malicious,
            },
            Role::Supervisor,
            at(2026, 11, 17, 9),
        );
        assert_eq!(
            (t.status, t.verdict),
            (Status::Excluded, Some(Verdict::Malicious))
        );
        assert!(t
            .possible(Role::Supervisor, at(2026, 11, 17, 10))
            .is_empty());
    }

    #[test]
    fn an_appeal_within_five_working_days_goes_to_the_supervisor() {
        let t = ok(
            &rectifying(),
            Action::Appeal {
                claim: Verdict::Malicious,
            },
            Role::UnitAdmin,
            at(2026, 11, 23, 17),
        );
        assert_eq!(
            (t.status, t.resume, t.proposed),
            (
                Status::Appealed,
                Some(Status::Rectifying),
                Some(Verdict::Malicious)
            )
        );
        let upheld = ok(
            &t,
            Action::Decide { approve: true },
            Role::Supervisor,
            at(2026, 11, 24, 9),
        );
        assert_eq!(
            (upheld.status, upheld.verdict),
            (Status::Excluded, Some(Verdict::Malicious))
        );
        let refused = ok(
            &t,
            Action::Decide { approve: false },
            Role::Supervisor,
            at(2026, 11, 24, 9),
        );
        assert_eq!(refused.status, Status::Rectifying);
        assert_eq!(
            refused.rectify_due,
            rectifying().rectify_due,
            "the appeal does not stop the clock"
        );
        // Once only.
        assert_eq!(
            step(
                &refused,
                Action::Appeal {
                    claim: Verdict::Invalid
                },
                Role::UnitAdmin,
                at(2026, 11, 24, 10)
            ),
            Err(LoopError::AlreadyAppealed)
        );
    }

    #[test]
    fn an_appeal_after_five_working_days_or_claiming_valid_is_refused() {
        // Due Tue 24 00:00: Monday 23 evening is the last moment.
        assert_eq!(
            step(
                &open(),
                Action::Appeal {
                    claim: Verdict::Invalid
                },
                Role::UnitAdmin,
                at(2026, 11, 24, 0)
            ),
            Err(LoopError::AppealLate)
        );
        assert_eq!(
            step(
                &open(),
                Action::Appeal {
                    claim: Verdict::Valid
                },
                Role::UnitAdmin,
                at(2026, 11, 17, 0)
            ),
            Err(LoopError::AppealClaimValid)
        );
        assert_eq!(
            step(
                &open(),
                Action::Appeal {
                    claim: Verdict::Invalid
                },
                Role::Supervisor,
                at(2026, 11, 17, 0)
            ),
            Err(LoopError::NotAllowed)
        );
        let from_open = ok(
            &open(),
            Action::Appeal {
                claim: Verdict::Invalid,
            },
            Role::UnitAdmin,
            at(2026, 11, 17, 0),
        );
        let back = ok(
            &from_open,
            Action::Decide { approve: false },
            Role::Supervisor,
            at(2026, 11, 18, 0),
        );
        assert_eq!(back.status, Status::Open);
        assert!(!back
            .possible(Role::UnitAdmin, at(2026, 11, 18, 0))
            .contains(&ActionKind::Appeal));
    }

    #[test]
    fn an_extension_needs_a_later_date_a_reason_and_the_supervisor() {
        let r = rectifying();
        let due = r.rectify_due.unwrap();
        assert_eq!(
            step(
                &r,
                Action::RequestExtension { new_due: due },
                Role::UnitAdmin,
                at(2026, 11, 20, 9)
            ),
            Err(LoopError::DueNotLater)
        );
        assert_eq!(
            r.apply(
                Action::RequestExtension {
                    new_due: due + 10 * DAY_MS
                },
                Role::UnitAdmin,
                "",
                at(2026, 11, 20, 9),
                &cal(),
                &p()
            ),
            Err(LoopError::NoteRequired)
        );
        let asked = ok(
            &r,
            Action::RequestExtension {
                new_due: due + 10 * DAY_MS,
            },
            Role::UnitAdmin,
            at(2026, 11, 20, 9),
        );
        assert_eq!(asked.status, Status::ExtensionRequested);
        // Still overdue-checked against the old deadline until approved.
        assert_eq!(asked.overdue(due), Some(Overdue::Rectify));
        let approved = ok(
            &asked,
            Action::Decide { approve: true },
            Role::Supervisor,
            at(2026, 11, 21, 9),
        );
        assert_eq!(
            (approved.status, approved.rectify_due),
            (Status::Rectifying, Some(due + 10 * DAY_MS))
        );
        assert_eq!(approved.overdue(due), None);
        let refused = asked
            .apply(
                Action::Decide { approve: false },
                Role::Supervisor,
                "不合理",
                at(2026, 11, 21, 9),
                &cal(),
                &p(),
            )
            .unwrap();
        assert_eq!(
            (refused.status, refused.rectify_due),
            (Status::Rectifying, Some(due))
        );
        // Rejections need a reason.
        assert_eq!(
            asked.apply(
                Action::Decide { approve: false },
                Role::Supervisor,
                "",
                at(2026, 11, 21, 9),
                &cal(),
                &p()
            ),
            Err(LoopError::NoteRequired)
        );
    }

    #[test]
    fn archiving_awaits_the_citizens_rating_and_records_whether_it_was_on_time() {
        let a = archived();
        assert_eq!(
            (a.status, a.outcome, a.on_time),
            (Status::AwaitingFeedback, Some(Outcome::Fixed), Some(true))
        );
        let late = ok(
            &rectifying(),
            Action::Archive {
                outcome: Outcome::Unfixable,
            },
            Role::UnitAdmin,
            at(2026, 12, 3, 1),
        );
        assert_eq!(
            (late.on_time, late.outcome),
            (Some(false), Some(Outcome::Unfixable))
        );
        // No phone: nobody to ask, closed on archiving.
        let mut anon = rectifying();
        anon.has_phone = false;
        let closed = ok(
            &anon,
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            at(2026, 11, 20, 9),
        );
        assert_eq!(
            (closed.status, closed.closed_at),
            (Status::Closed, Some(at(2026, 11, 20, 9)))
        );
        assert_eq!(
            rectifying().apply(
                Action::Archive {
                    outcome: Outcome::Fixed
                },
                Role::UnitAdmin,
                "",
                at(2026, 11, 20, 9),
                &cal(),
                &p()
            ),
            Err(LoopError::NoteRequired)
        );
    }

    #[test]
    fn on_a_ticket_routed_to_12345_the_hotline_contacts_verifies_and_collects_the_re_rating() {
        let mut t = open();
        t.via_hotline = true;
        let now = at(2026, 11, 16, 11);
        // The unit sees no contact button and may not contact; it may
        // still appeal, and the supervisor may step in.
        assert_eq!(t.possible(Role::UnitAdmin, now), [ActionKind::Appeal]);
        assert_eq!(
            step(&t, Action::Contact { reached: true }, Role::UnitAdmin, now),
            Err(LoopError::NotAllowed)
        );
        assert!(t
            .possible(Role::Supervisor, now)
            .contains(&ActionKind::Contact));
        assert_eq!(t.possible(Role::Hotline, now), [ActionKind::Contact]);
        let c = ok(&t, Action::Contact { reached: true }, Role::Hotline, now);
        // The hotline's invalid verdict waits for the supervisor.
        let pending = ok(
            &c,
            Action::Verify {
                verdict: Verdict::Invalid,
            },
            Role::Hotline,
            at(2026, 11, 16, 12),
        );
        assert_eq!(pending.status, Status::PendingReview);
        let r = ok(
            &c,
            Action::Verify {
                verdict: Verdict::Valid,
            },
            Role::Hotline,
            at(2026, 11, 16, 12),
        );
        assert_eq!(r.status, Status::Rectifying);
        // Rectifying is the unit's; the hotline cannot archive.
        assert_eq!(
            step(
                &r,
                Action::Archive {
                    outcome: Outcome::Fixed
                },
                Role::Hotline,
                at(2026, 11, 17, 9)
            ),
            Err(LoopError::NotAllowed)
        );
        let a = ok(
            &r,
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            at(2026, 11, 17, 9),
        );
        let closed = ok(
            &a,
            Action::Feedback {
                level: Level::Satisfied,
            },
            Role::Hotline,
            at(2026, 11, 18, 9),
        );
        assert_eq!(
            (closed.status, closed.feedback_level),
            (Status::Closed, Some(2))
        );
        // A ticket not routed to it: the hotline may do nothing.
        assert_eq!(
            step(
                &open(),
                Action::Contact { reached: true },
                Role::Hotline,
                now
            ),
            Err(LoopError::NotAllowed)
        );
        assert!(open().possible(Role::Hotline, now).is_empty());
    }

    #[test]
    fn the_citizens_rating_closes_the_ticket() {
        let c = ok(
            &archived(),
            Action::Feedback {
                level: Level::Satisfied,
            },
            Role::Citizen,
            at(2026, 11, 21, 9),
        );
        assert_eq!(
            (c.status, c.feedback_level, c.closed_at),
            (Status::Closed, Some(2), Some(at(2026, 11, 21, 9)))
        );
        assert!(matches!(
            step(
                &c,
                Action::Feedback {
                    level: Level::Satisfied
                },
                Role::Citizen,
                at(2026, 11, 21, 10)
            ),
            Err(LoopError::WrongState { .. })
        ));
        // Without an answer an admin closes it, saying why.
        let quiet = ok(
            &archived(),
            Action::Close,
            Role::UnitAdmin,
            at(2026, 11, 28, 9),
        );
        assert_eq!((quiet.status, quiet.feedback_level), (Status::Closed, None));
    }

    #[test]
    fn a_failed_spot_check_reopens_and_a_passed_one_changes_nothing_else() {
        let closed = ok(
            &archived(),
            Action::Feedback {
                level: Level::VerySatisfied,
            },
            Role::Citizen,
            at(2026, 11, 21, 9),
        );
        let pass = ok(
            &closed,
            Action::SpotCheck { pass: true },
            Role::Supervisor,
            at(2026, 11, 22, 9),
        );
        assert_eq!((pass.status, pass.spot_check), (Status::Closed, Some(true)));
        assert_eq!(
            step(
                &pass,
                Action::SpotCheck { pass: false },
                Role::Supervisor,
                at(2026, 11, 22, 10)
            ),
            Err(LoopError::AlreadyChecked)
        );
        let fail = ok(
            &closed,
            Action::SpotCheck { pass: false },
            Role::Supervisor,
            at(2026, 11, 22, 9),
        );
        assert_eq!(
            (
                fail.status,
                fail.spot_check,
                fail.outcome,
                fail.feedback_level
            ),
            (Status::Rectifying, Some(false), None, None)
        );
        assert_eq!(fail.rectify_due, Some(at(2026, 12, 8, 0)));
        assert_eq!(
            step(
                &archived(),
                Action::SpotCheck { pass: true },
                Role::UnitAdmin,
                at(2026, 11, 22, 9)
            ),
            Err(LoopError::NotAllowed)
        );
        // Archiving again starts a new check cycle.
        let again = ok(
            &fail,
            Action::Archive {
                outcome: Outcome::Fixed,
            },
            Role::UnitAdmin,
            at(2026, 11, 25, 9),
        );
        assert_eq!(
            (again.status, again.spot_check),
            (Status::AwaitingFeedback, None)
        );
        // Not before archiving.
        assert!(matches!(
            step(
                &rectifying(),
                Action::SpotCheck { pass: true },
                Role::Supervisor,
                at(2026, 11, 22, 9)
            ),
            Err(LoopError::WrongState { .. })
        ));
    }

    #[test]
    fn overlong_notes_are_refused() {
        let long = "字".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(
            open().apply(
                Action::Contact { reached: true },
                Role::UnitAdmin,
                &long,
                at(2026, 11, 16, 11),
                &cal(),
                &p()
            ),
            Err(LoopError::NoteTooLong)
        );
    }

    #[test]
    fn possible_steps_follow_role_and_state() {
        let now = at(2026, 11, 17, 9);
        assert_eq!(
            open().possible(Role::UnitAdmin, now),
            vec![ActionKind::Contact, ActionKind::Appeal]
        );
        assert_eq!(
            open().possible(Role::Supervisor, now),
            vec![ActionKind::Contact]
        );
        assert!(open().possible(Role::WindowStaff, now).is_empty());
        assert_eq!(
            archived().possible(Role::Supervisor, now),
            vec![ActionKind::SpotCheck, ActionKind::Close]
        );
    }

    #[test]
    fn error_messages_exist_in_both_languages() {
        let errs = [
            LoopError::NotAllowed,
            LoopError::WrongState {
                status: Status::Open,
                action: ActionKind::Archive,
            },
            LoopError::AppealLate,
            LoopError::AlreadyAppealed,
            LoopError::AppealClaimValid,
            LoopError::NoteRequired,
            LoopError::NoteTooLong,
            LoopError::DueNotLater,
            LoopError::AlreadyChecked,
        ];
        for e in errs {
            assert!(
                !e.message_zh().is_empty() && !e.message_en().is_empty() && !e.code().is_empty()
            );
        }
        assert!(LoopError::WrongState {
            status: Status::Open,
            action: ActionKind::Archive
        }
        .message_zh()
        .contains("待沟通"));
    }

    #[test]
    fn satisfaction_counts_basically_satisfied_as_satisfied() {
        assert_eq!(satisfaction_percent(&[]), None);
        assert_eq!(satisfaction_percent(&[1, 3, 4, 5]), Some(50.0));
    }

    #[test]
    fn evidence_is_checked_by_type_size_content_and_count() {
        let png = b"\x89PNG\r\n\x1a\n rest";
        assert_eq!(
            check_evidence("照片.png", "image/png", png, 0),
            Ok(EvidenceType::Png)
        );
        assert_eq!(
            check_evidence("a.pdf", "application/pdf", b"%PDF-1.7", 0),
            Ok(EvidenceType::Pdf)
        );
        assert_eq!(
            check_evidence("a.jpg", "image/jpeg", &[0xff, 0xd8, 0xff, 0xe0], 9),
            Ok(EvidenceType::Jpeg)
        );
        assert_eq!(
            check_evidence("a.exe", "application/x-msdownload", b"MZ", 0),
            Err(EvidenceError::TypeNotAllowed)
        );
        assert_eq!(
            check_evidence("a.png", "image/png", b"%PDF-1.7", 0),
            Err(EvidenceError::ContentMismatch)
        );
        assert_eq!(
            check_evidence("a.png", "image/png", b"", 0),
            Err(EvidenceError::Empty)
        );
        let big = [b"%PDF-".as_slice(), &vec![0u8; EVIDENCE_MAX_BYTES]].concat();
        assert_eq!(
            check_evidence("a.pdf", "application/pdf", &big, 0),
            Err(EvidenceError::TooLarge)
        );
        assert_eq!(
            check_evidence("a.png", "image/png", png, EVIDENCE_MAX_FILES),
            Err(EvidenceError::TooMany)
        );
        assert_eq!(
            check_evidence("../a.png", "image/png", png, 0),
            Err(EvidenceError::BadName)
        );
        assert_eq!(
            check_evidence("", "image/png", png, 0),
            Err(EvidenceError::BadName)
        );
    }

    #[test]
    fn common_problems_group_by_window_item_and_reason() {
        let it = |id, w, s, r: &[&str]| GroupInput {
            id,
            window_id: w,
            service_item_id: s,
            reasons: r.iter().map(|x| x.to_string()).collect(),
        };
        let groups = common_problems(
            &[
                it(1, Some(10), Some(7), &["wait_long"]),
                it(2, Some(10), None, &["attitude"]),
                it(3, Some(11), Some(7), &["wait_long"]),
                it(4, Some(12), None, &["wait_long", "wait_long"]),
                it(5, None, None, &[]),
            ],
            2,
        );
        assert_eq!(
            groups,
            vec![
                (GroupKey::Reason("wait_long".into()), vec![1, 3, 4]),
                (GroupKey::Window(10), vec![1, 2]),
                (GroupKey::ServiceItem(7), vec![1, 3]),
            ]
        );
    }

    #[test]
    fn the_sample_keeps_what_was_checked() {
        let items = [
            SampleItem {
                id: 1,
                unit: 1,
                checked: true,
            },
            SampleItem {
                id: 2,
                unit: 1,
                checked: true,
            },
            SampleItem {
                id: 3,
                unit: 1,
                checked: false,
            },
            SampleItem {
                id: 4,
                unit: 2,
                checked: false,
            },
        ];
        let s = spot_check_sample(&items, 50, 7);
        assert!(s.contains(&1) && s.contains(&2) && !s.contains(&3) && s.contains(&4));
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            any::<bool>().prop_map(|reached| Action::Contact { reached }),
            prop::sample::select(Verdict::ALL).prop_map(|verdict| Action::Verify { verdict }),
            prop::sample::select(Verdict::ALL).prop_map(|claim| Action::Appeal { claim }),
            any::<bool>().prop_map(|approve| Action::Decide { approve }),
            (0i64..40).prop_map(|d| Action::RequestExtension {
                new_due: at(2026, 11, 16, 0) + d * DAY_MS
            }),
            prop::sample::select(Outcome::ALL).prop_map(|outcome| Action::Archive { outcome }),
            any::<bool>().prop_map(|pass| Action::SpotCheck { pass }),
            prop::sample::select(Level::ALL.to_vec()).prop_map(|level| Action::Feedback { level }),
            Just(Action::Close),
        ]
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(vec![
            Role::WindowStaff,
            Role::UnitAdmin,
            Role::Supervisor,
            Role::SystemAdmin,
            Role::Citizen,
            Role::Hotline,
        ])
    }

    proptest! {
        #[test]
        fn any_sequence_of_steps_keeps_the_tickets_invariants(
            steps in prop::collection::vec((any_action(), any_role(), 0i64..30 * 24), 0..40),
            has_phone in any::<bool>(),
            via_hotline in any::<bool>(),
        ) {
            let mut t = Ticket::open(at(2026, 11, 16, 10), has_phone, &cal(), &p());
            t.via_hotline = via_hotline;
            let mut now = t.opened_at;
            for (a, r, dh) in steps {
                now += dh * HOUR / 10;
                if let Ok(next) = t.apply(a, r, "说明", now, &cal(), &p()) {
                    prop_assert!(a.kind().allowed(r));
                    // The hotline acts only on its tickets; on those the
                    // unit neither contacts, verifies nor closes.
                    prop_assert!(r != Role::Hotline || via_hotline);
                    prop_assert!(!(via_hotline && r == Role::UnitAdmin
                        && matches!(a.kind(), ActionKind::Contact | ActionKind::Verify | ActionKind::Close)));
                    prop_assert_eq!(next.via_hotline, via_hotline);
                    // What succeeds is what the tablet offered (the citizen's
                    // re-rating is not offered on a tablet).
                    prop_assert!(t.possible(r, now).contains(&a.kind()) || a.kind() == ActionKind::Feedback,
                        "{:?} by {:?} from {:?} succeeded but was not offered", a, r, t.status);
                    t = next;
                }
                // Invariants.
                prop_assert_eq!(t.status == Status::Excluded, matches!(t.verdict, Some(Verdict::Invalid | Verdict::Malicious)));
                prop_assert_eq!(t.status == Status::Closed, t.closed_at.is_some());
                prop_assert!(t.feedback_level.is_none() || (t.has_phone && t.status == Status::Closed));
                prop_assert!(!matches!(t.status, Status::Rectifying | Status::ExtensionRequested) || t.rectify_due.is_some());
                prop_assert!(!matches!(t.status, Status::AwaitingFeedback) || (t.has_phone && t.outcome.is_some()));
                prop_assert_eq!(t.status == Status::ExtensionRequested, t.requested_due.is_some());
                prop_assert_eq!(matches!(t.status, Status::PendingReview | Status::Appealed), t.proposed.is_some());
                // The figures: the assessed deadline is never later than the
                // on-time path's unless an extension was approved; what is
                // on time is archived, what is archived is due; a stored
                // on-time flag agrees with the assessment.
                let standard = assessed_deadline(t.contact_due, None, false, &cal(), &p());
                let deadline = assessed_deadline(t.contact_due, t.rectify_due, t.extended, &cal(), &p());
                prop_assert!(t.extended || deadline <= standard);
                let a = assess_at(&t, now);
                prop_assert!(!a.on_time || a.archived);
                prop_assert!(!a.archived || a.due);
                prop_assert!(!a.contacted_on_time || a.contact_due);
                prop_assert_eq!(a.contact_due, t.contacted_at.is_some() || now >= t.contact_due);
                prop_assert_eq!(a.verified, t.verdict == Some(Verdict::Valid));
                if a.archived {
                    prop_assert_eq!(t.on_time, Some(a.on_time));
                }
            }
        }

        #[test]
        fn the_sample_covers_at_least_the_percentage_of_every_unit(
            units in prop::collection::vec((0i64..5, any::<bool>()), 0..60),
            percent in 1u32..=100,
            seed in any::<u64>(),
        ) {
            let items: Vec<_> = units.iter().enumerate()
                .map(|(i, (u, c))| SampleItem { id: i as i64 + 1, unit: *u, checked: *c }).collect();
            let s = spot_check_sample(&items, percent, seed);
            for u in 0..5 {
                let all: Vec<_> = items.iter().filter(|i| i.unit == u).collect();
                let got = all.iter().filter(|i| s.contains(&i.id)).count();
                prop_assert!(got * 100 >= all.len() * percent as usize);
                prop_assert!(all.iter().filter(|i| i.checked).all(|i| s.contains(&i.id)));
            }
            prop_assert_eq!(s.clone(), spot_check_sample(&items, percent, seed));
        }
    }
}
