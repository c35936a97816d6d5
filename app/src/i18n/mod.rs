//! Citizen-facing strings: one catalogue per language (`zh.rs`, `en.rs`),
//! Chinese by default. Pages read the current catalogue with [`texts`];
//! the choice (and 长辈模式) is kept in localStorage per device.

mod en;
mod zh;

use leptos::prelude::*;

use domain::case::Stage;
use domain::{Level, ReasonTag};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// Every string a citizen page shows. Lists follow the domain's `ALL` order.
pub struct Texts {
    pub lang_code: &'static str,
    pub switch_lang: &'static str,
    pub elder_on: &'static str,
    pub elder_off: &'static str,
    pub read_aloud: &'static str,
    pub loading_device: &'static str,
    pub touch_to_start: &'static str,
    pub please_rate: &'static str,
    pub how_satisfied: &'static str,
    pub dimensions_title: &'static str,
    pub back: &'static str,
    pub next: &'static str,
    pub submit: &'static str,
    pub reasons_title: &'static str,
    pub comment_label: &'static str,
    pub confirm_title: &'static str,
    pub no_reason: &'static str,
    pub reasons_prefix: &'static str,
    pub confirm_hint: &'static str,
    pub change: &'static str,
    pub confirm: &'static str,
    pub thanks: &'static str,
    /// "{n} 秒内可撤销本次评价"
    pub undo_within: &'static str,
    pub undo: &'static str,
    pub done: &'static str,
    pub undone: &'static str,
    pub undo_expired: &'static str,
    pub case_label: &'static str,
    pub case_placeholder: &'static str,
    pub rate_with_case: &'static str,
    pub rate_without_case: &'static str,
    pub follow_up_recorded: &'static str,
    pub first_recorded: &'static str,
    pub link_used: &'static str,
    pub phone_label: &'static str,
    pub phone_required: &'static str,
    pub phone_hint: &'static str,
    pub phone_label_required: &'static str,
    pub loading_page: &'static str,
    pub details_offer: &'static str,
    pub evaluator_type_label: &'static str,
    pub details_saved: &'static str,
    pub details_not_saved: &'static str,
    pub skip: &'static str,
    pub save: &'static str,
    pub case_entry_open: &'static str,
    pub case_entry_cancel: &'static str,
    pub pad_serving: &'static str,
    pub staff_no: &'static str,
    /// "{n} 条评价…": shown when ratings wait long for upload.
    pub waiting_banner: &'static str,
    /// The staff panel's sync state ("{n}" is a count).
    pub sync_offline: &'static str,
    pub sync_pending: &'static str,
    pub sync_last: &'static str,
    pub sync_never: &'static str,
    pub sync_running: &'static str,
    pub sync_unsaved: &'static str,
    pub sync_review: &'static str,
    pub close: &'static str,
    pub stage_label: &'static str,
    pub whole_case: &'static str,
    pub pad_idle: &'static str,
    pub pad_case: &'static str,
    pub enrol_title: &'static str,
    pub enrol_hint: &'static str,
    pub enrol_code: &'static str,
    pub enrol_button: &'static str,
    pub window_label: &'static str,
    /// The re-rating of a rectification (`/f/{token}`).
    pub fb_title: &'static str,
    pub fb_place: &'static str,
    pub fb_rated_on: &'static str,
    pub fb_outcome: &'static str,
    pub fb_description: &'static str,
    pub fb_question: &'static str,
    pub fb_comment: &'static str,
    pub fb_choose: &'static str,
    pub fb_thanks_detail: &'static str,
    pub fb_used: &'static str,
    pub loading: &'static str,
    pub levels: [&'static str; 5],
    pub reasons: [&'static str; 6],
    /// Dimensions of `onsite-v1`: efficiency, competence, attitude.
    pub dimensions: [(&'static str, &'static str); 3],
    pub stages: [&'static str; 4],
}

impl Texts {
    pub fn level(&self, l: Level) -> &'static str {
        let i = Level::ALL.iter().position(|x| *x == l).unwrap_or(0);
        self.levels[i]
    }

    pub fn reason(&self, r: ReasonTag) -> &'static str {
        let i = ReasonTag::ALL.iter().position(|x| *x == r).unwrap_or(0);
        self.reasons[i]
    }

    pub fn dimension(&self, code: &str, fallback: &'static str) -> &'static str {
        self.dimensions
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| *l)
            .unwrap_or(fallback)
    }

    pub fn stage(&self, s: Stage) -> &'static str {
        let i = Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
        self.stages[i]
    }
}

pub fn catalogue(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Zh => &zh::TEXTS,
        Lang::En => &en::TEXTS,
    }
}

const LANG_KEY: &str = "hcp.lang";
const ELDER_KEY: &str = "hcp.elder";

/// The citizen's display choices, provided once by `App`.
#[derive(Clone, Copy)]
pub struct Prefs {
    pub lang: RwSignal<Lang>,
    pub elder: RwSignal<bool>,
}

impl Prefs {
    /// Same defaults on the server and in the browser (hydration must match);
    /// `restore` applies the stored choice once hydrated.
    pub fn new() -> Self {
        Prefs {
            lang: RwSignal::new(Lang::Zh),
            elder: RwSignal::new(false),
        }
    }

    pub fn restore(self) {
        use gloo_storage::{LocalStorage, Storage};
        if LocalStorage::get::<String>(LANG_KEY).ok().as_deref() == Some("en") {
            self.lang.set(Lang::En);
        }
        if LocalStorage::get::<bool>(ELDER_KEY).unwrap_or(false) {
            self.elder.set(true);
        }
    }

    pub fn toggle_lang(self) {
        use gloo_storage::{LocalStorage, Storage};
        let next = match self.lang.get_untracked() {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        self.lang.set(next);
        let _ = LocalStorage::set(LANG_KEY, if next == Lang::En { "en" } else { "zh" });
    }

    pub fn toggle_elder(self) {
        use gloo_storage::{LocalStorage, Storage};
        let next = !self.elder.get_untracked();
        self.elder.set(next);
        let _ = LocalStorage::set(ELDER_KEY, next);
    }
}

impl Default for Prefs {
    fn default() -> Self {
        Self::new()
    }
}

pub fn prefs() -> Prefs {
    use_context::<Prefs>().unwrap_or_default()
}

/// The current catalogue, reactive.
pub fn texts() -> Signal<&'static Texts> {
    let p = prefs();
    Signal::derive(move || catalogue(p.lang.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_fill_every_string() {
        for t in [catalogue(Lang::Zh), catalogue(Lang::En)] {
            assert!(!t.please_rate.is_empty() && t.undo_within.contains("{n}"));
            assert!(
                [t.fb_title, t.fb_question, t.fb_used, t.fb_choose, t.loading]
                    .iter()
                    .all(|s| !s.is_empty())
            );
            assert!(t
                .levels
                .iter()
                .chain(&t.reasons)
                .chain(&t.stages)
                .all(|s| !s.is_empty()));
        }
        assert_eq!(catalogue(Lang::Zh).level(Level::Satisfied), "满意");
        assert_eq!(catalogue(Lang::En).reason(ReasonTag::Slow), "Slow");
    }
}
