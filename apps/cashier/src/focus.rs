//! Keyboard routing and focus, at scanner speed.
//!
//! A barcode scanner types a whole code in a few milliseconds, often followed by Tab or
//! Enter, and the next code right after. The windowing loop hands the widgets every key that
//! arrived since the last frame in one batch, and the app only sees the messages of a batch
//! after all of its keys have gone to the widgets. So when Tab or Enter moved the focus
//! through a task (iced's `focus_next`, or the field the app chose after Enter), the keys
//! behind it in the same batch had already been typed into the field the focus was leaving:
//! `A001⇥6901234567892⇥cola` saved as `A0016` / `901234567892c` / `ola`.
//!
//! [`KeyRouter`] wraps the content of each window and fixes that at the root, for every form:
//!
//! - **Tab** (and the arrows, where they move between fields) moves the focus *at once*,
//!   inside the widget tree, before the next key is looked at. The cycle wraps around and
//!   stays inside an open dialog ([`MODAL_SCOPE`]).
//! - Every key press is reported to the app as a message *in order* with the messages of the
//!   widgets (the app's shortcuts no longer arrive later through a subscription).
//! - After a key the app must answer first — Enter, Esc, or any key no widget used (a
//!   shortcut letter, F2, …) — the keys behind it are **held**: not given to any widget until
//!   the app has handled that key and the window was rebuilt from its new state (with the
//!   focus the app chose, which iced applies as soon as the update returns). Then they are
//!   replayed, in order, into the widget that now has the focus.
//!
//! Characters typed into a focused field are never held, so ordinary typing costs nothing.

use std::collections::VecDeque;

use iced::advanced::layout::{self, Layout};
use iced::advanced::renderer;
use iced::advanced::widget::operation::{Focusable, Operation, TextInput};
use iced::advanced::widget::tree::{self, Tree};
use iced::advanced::widget::{Id, Widget};
use iced::advanced::{Clipboard, Shell, mouse, overlay};
use iced::keyboard::key::Named;
use iced::keyboard::{self, Key};
use iced::{Element, Event, Length, Rectangle, Size, Vector};

use crate::keys::KeyPress;

/// The id of the container that holds an open dialog: Tab cycles only inside it.
pub const MODAL_SCOPE: &str = "cashier-modal-scope";

/// Puts the focus in field `id` with its text selected, as a desktop dialog does: what is
/// typed next replaces a prefilled value (a refund's amount, an edited name).
pub fn select<M: Send + 'static>(id: &'static str) -> iced::Task<M> {
    iced::widget::operation::focus(id).chain(iced::widget::operation::select_all(id))
}

/// Puts the focus in field `id`, the cursor after its text (nothing selected).
pub fn enter<M: Send + 'static>(id: &'static str) -> iced::Task<M> {
    iced::widget::operation::focus(id)
}

/// Takes the focus from every field (focusing an id no field has unfocuses the rest).
pub fn release<M: Send + 'static>() -> iced::Task<M> {
    iced::widget::operation::focus("cashier-no-field")
}

/// Wraps a window's content: routes its keys to the app in order, moves the focus on Tab at
/// once, and holds the keys that follow a key the app must answer first.
pub struct KeyRouter<'a, Message, Theme = iced::Theme, Renderer = iced::Renderer> {
    content: Element<'a, Message, Theme, Renderer>,
    epoch: u64,
    on_key: Box<dyn Fn(KeyPress) -> Message + 'a>,
    tab: bool,
    arrows: bool,
    hold: bool,
}

/// The longest keys are held for an answer that does not come (then they go on, where the
/// focus is): a lost answer must not freeze the keyboard.
const MAX_HOLD: std::time::Duration = std::time::Duration::from_secs(5);

impl<'a, Message, Theme, Renderer> KeyRouter<'a, Message, Theme, Renderer> {
    /// Routes the keys of `content`. `epoch` must change whenever the app has handled a
    /// message (the app counts its updates): held keys are replayed into the first view
    /// built with a different epoch. `on_key` turns every key press into the app's message.
    pub fn new(
        content: impl Into<Element<'a, Message, Theme, Renderer>>,
        epoch: u64,
        on_key: impl Fn(KeyPress) -> Message + 'a,
    ) -> Self {
        KeyRouter {
            content: content.into(),
            epoch,
            on_key: Box::new(on_key),
            tab: true,
            arrows: false,
            hold: false,
        }
    }

    /// Holds every key while the app waits for an answer that decides where the next keys
    /// go (a login, a lookup, a save); they are replayed, in order, once it has come.
    #[must_use]
    pub fn hold(mut self, on: bool) -> Self {
        self.hold = on;
        self
    }

    /// Whether Tab / Shift+Tab move the focus (default); off while the app wants the key
    /// itself (recording a hotkey).
    #[must_use]
    pub fn tab(mut self, on: bool) -> Self {
        self.tab = on;
        self
    }

    /// Whether ↑ / ↓ move the focus when no widget used them (forms); off where the app
    /// uses them (moving through a list).
    #[must_use]
    pub fn arrows(mut self, on: bool) -> Self {
        self.arrows = on;
        self
    }
}

/// What the router remembers between frames.
#[derive(Debug, Default)]
struct State {
    /// Keyboard events waiting for the app.
    held: VecDeque<Event>,
    /// Holding until a view with an epoch other than this one.
    holding: Option<u64>,
    /// Since when keys have been waiting.
    since: Option<std::time::Instant>,
}

fn is_keyboard(event: &Event) -> bool {
    matches!(event, Event::Keyboard(_) | Event::InputMethod(_))
}

fn is_modifier(key: &Key) -> bool {
    matches!(
        key,
        Key::Named(
            Named::Shift
                | Named::Control
                | Named::Alt
                | Named::Super
                | Named::Meta
                | Named::AltGraph
                | Named::CapsLock
                | Named::NumLock
        )
    )
}

/// Whether the keys after this one must wait for the app: it may move the focus, open or
/// close a dialog, or change the screen.
fn needs_answer(press: &KeyPress) -> bool {
    if is_modifier(&press.key) {
        return false;
    }
    match press.key.as_ref() {
        Key::Named(Named::Enter | Named::Escape | Named::Tab) => true,
        _ => !press.captured,
    }
}

impl<Message, Theme, Renderer> KeyRouter<'_, Message, Theme, Renderer>
where
    Renderer: iced::advanced::Renderer,
{
    /// Moves the focus one field on, or back, right now.
    fn cycle(&mut self, tree: &mut Tree, layout: Layout<'_>, renderer: &Renderer, back: bool) {
        let mut survey = Survey::default();
        self.content
            .as_widget_mut()
            .operate(tree, layout, renderer, &mut survey);
        if let Some(target) = survey.target(back) {
            let mut set = SetFocus { target, current: 0 };
            self.content
                .as_widget_mut()
                .operate(tree, layout, renderer, &mut set);
            let mut select = SelectAll { target, current: 0 };
            self.content
                .as_widget_mut()
                .operate(tree, layout, renderer, &mut select);
        }
    }

    /// Gives one event to the content (Tab and free arrows to the focus cycle instead) and
    /// reports a key press to the app. Returns whether the keys after it must wait.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) -> bool {
        let child = &mut tree.children[0];
        if let Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) = event
            && self.tab
            && matches!(key.as_ref(), Key::Named(Named::Tab))
        {
            self.cycle(child, layout, renderer, modifiers.shift());
            shell.capture_event();
            return false;
        }
        let mut messages = Vec::new();
        let mut local = Shell::new(&mut messages);
        self.content.as_widget_mut().update(
            child, event, layout, cursor, renderer, clipboard, &mut local, viewport,
        );
        let captured = local.is_event_captured();
        shell.merge(local, |m| m);
        let Event::Keyboard(keyboard::Event::KeyPressed {
            key,
            physical_key,
            modifiers,
            ..
        }) = event
        else {
            return false;
        };
        if self.arrows
            && !captured
            && !modifiers.control()
            && !modifiers.alt()
            && matches!(key.as_ref(), Key::Named(Named::ArrowUp | Named::ArrowDown))
        {
            let back = matches!(key.as_ref(), Key::Named(Named::ArrowUp));
            self.cycle(child, layout, renderer, back);
            shell.capture_event();
            return false;
        }
        let press = KeyPress {
            key: key.clone(),
            physical: *physical_key,
            modifiers: *modifiers,
            captured,
        };
        let wait = needs_answer(&press);
        shell.publish((self.on_key)(press));
        wait
    }
}

impl<Message, Theme, Renderer> Widget<Message, Theme, Renderer>
    for KeyRouter<'_, Message, Theme, Renderer>
where
    Renderer: iced::advanced::Renderer,
{
    fn tag(&self) -> tree::Tag {
        tree::Tag::of::<State>()
    }

    fn state(&self) -> tree::State {
        tree::State::new(State::default())
    }

    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn size_hint(&self) -> Size<Length> {
        self.content.as_widget().size_hint()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        self.content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits)
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.content.as_widget().draw(
            &tree.children[0],
            renderer,
            theme,
            style,
            layout,
            cursor,
            viewport,
        );
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &Renderer,
        operation: &mut dyn Operation,
    ) {
        self.content
            .as_widget_mut()
            .operate(&mut tree.children[0], layout, renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) {
        // The app has answered since the keys were held: this view shows its new state and
        // the focus it chose. Replay them, until one needs an answer again.
        let app_waits = {
            let state = tree.state.downcast_mut::<State>();
            if state.holding.is_some_and(|e| e != self.epoch) {
                state.holding = None;
            }
            let waited_too_long = state.since.is_some_and(|t| t.elapsed() > MAX_HOLD);
            if waited_too_long {
                state.holding = None;
            }
            self.hold && !waited_too_long
        };
        loop {
            let next = {
                let state = tree.state.downcast_mut::<State>();
                if state.holding.is_some() || app_waits {
                    None
                } else {
                    state.held.pop_front()
                }
            };
            let Some(held) = next else { break };
            if self.dispatch(
                tree, &held, layout, cursor, renderer, clipboard, shell, viewport,
            ) {
                tree.state.downcast_mut::<State>().holding = Some(self.epoch);
            }
        }

        if is_keyboard(event) {
            let state = tree.state.downcast_mut::<State>();
            if state.holding.is_some() || !state.held.is_empty() || app_waits {
                state.held.push_back(event.clone());
                shell.capture_event();
            } else if self.dispatch(
                tree, event, layout, cursor, renderer, clipboard, shell, viewport,
            ) {
                tree.state.downcast_mut::<State>().holding = Some(self.epoch);
            }
        } else {
            self.content.as_widget_mut().update(
                &mut tree.children[0],
                event,
                layout,
                cursor,
                renderer,
                clipboard,
                shell,
                viewport,
            );
        }
        let state = tree.state.downcast_mut::<State>();
        if state.held.is_empty() {
            state.since = None;
        } else {
            state.since.get_or_insert_with(std::time::Instant::now);
            // Come back on the next frame, whatever arrives, to replay them (or, while the
            // app still waits, to check again).
            shell.request_redraw();
        }
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &Renderer,
    ) -> mouse::Interaction {
        self.content.as_widget().mouse_interaction(
            &tree.children[0],
            layout,
            cursor,
            viewport,
            renderer,
        )
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, Renderer>> {
        self.content.as_widget_mut().overlay(
            &mut tree.children[0],
            layout,
            renderer,
            viewport,
            translation,
        )
    }
}

impl<'a, Message, Theme, Renderer> From<KeyRouter<'a, Message, Theme, Renderer>>
    for Element<'a, Message, Theme, Renderer>
where
    Message: 'a,
    Theme: 'a,
    Renderer: iced::advanced::Renderer + 'a,
{
    fn from(router: KeyRouter<'a, Message, Theme, Renderer>) -> Self {
        Element::new(router)
    }
}

/// One focusable widget, as found by [`Survey`].
#[derive(Debug, Clone, Copy)]
struct Found {
    focused: bool,
    in_dialog: bool,
}

/// Lists the focusable widgets in tree order, noting which one has the focus and which lie
/// inside an open dialog.
#[derive(Debug, Default)]
struct Survey {
    found: Vec<Found>,
    dialog_depth: usize,
    entering_dialog: bool,
}

impl Survey {
    /// The index (among all focusables) to focus next.
    fn target(&self, back: bool) -> Option<usize> {
        let dialog = self.found.iter().any(|f| f.in_dialog);
        let scope: Vec<usize> = (0..self.found.len())
            .filter(|&i| !dialog || self.found[i].in_dialog)
            .collect();
        if scope.is_empty() {
            return None;
        }
        let n = scope.len();
        let at = scope.iter().position(|&i| self.found[i].focused);
        let next = match (at, back) {
            (None, false) => 0,
            (None, true) => n - 1,
            (Some(p), false) => (p + 1) % n,
            (Some(p), true) => (p + n - 1) % n,
        };
        Some(scope[next])
    }
}

impl Operation for Survey {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        let entering = std::mem::take(&mut self.entering_dialog);
        if entering {
            self.dialog_depth += 1;
        }
        operate(self);
        if entering {
            self.dialog_depth -= 1;
        }
    }

    fn container(&mut self, id: Option<&Id>, _bounds: Rectangle) {
        self.entering_dialog = id.is_some_and(|id| *id == Id::new(MODAL_SCOPE));
    }

    fn focusable(&mut self, _id: Option<&Id>, _bounds: Rectangle, state: &mut dyn Focusable) {
        self.entering_dialog = false;
        self.found.push(Found {
            focused: state.is_focused(),
            in_dialog: self.dialog_depth > 0,
        });
    }
}

/// Focuses the `target`-th focusable widget and unfocuses every other.
struct SetFocus {
    target: usize,
    current: usize,
}

impl Operation for SetFocus {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        operate(self);
    }

    fn focusable(&mut self, _id: Option<&Id>, _bounds: Rectangle, state: &mut dyn Focusable) {
        if self.current == self.target {
            state.focus();
        } else if state.is_focused() {
            state.unfocus();
        }
        self.current += 1;
    }
}

/// Selects the content of the `target`-th focusable widget when it is a text field, as on
/// every desktop when Tab reaches a field: what is typed next replaces a prefilled value
/// (the unit 件, stock 0) instead of being appended to it. (A text field reports itself as
/// a text input just before it reports itself as focusable.)
struct SelectAll {
    target: usize,
    current: usize,
}

impl Operation for SelectAll {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        operate(self);
    }

    fn text_input(&mut self, _id: Option<&Id>, _bounds: Rectangle, state: &mut dyn TextInput) {
        if self.current == self.target {
            state.select_all();
        }
    }

    fn focusable(&mut self, _id: Option<&Id>, _bounds: Rectangle, _state: &mut dyn Focusable) {
        self.current += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(found: &[(bool, bool)]) -> Survey {
        Survey {
            found: found
                .iter()
                .map(|&(focused, in_dialog)| Found { focused, in_dialog })
                .collect(),
            ..Survey::default()
        }
    }

    #[test]
    fn the_cycle_wraps_around_both_ways() {
        let s = survey(&[(false, false), (false, false), (true, false)]);
        assert_eq!(s.target(false), Some(0));
        assert_eq!(s.target(true), Some(1));
        let none = survey(&[(false, false), (false, false)]);
        assert_eq!(none.target(false), Some(0));
        assert_eq!(none.target(true), Some(1));
        assert_eq!(survey(&[]).target(false), None);
    }

    #[test]
    fn an_open_dialog_keeps_the_cycle_inside_it() {
        // Two fields of the screen behind, three in the dialog; the last dialog field has
        // the focus: Tab goes to the first dialog field, not to the screen behind.
        let s = survey(&[
            (false, false),
            (false, false),
            (false, true),
            (false, true),
            (true, true),
        ]);
        assert_eq!(s.target(false), Some(2));
        assert_eq!(s.target(true), Some(3));
    }

    #[test]
    fn only_keys_the_app_must_answer_hold_the_rest() {
        let typed = KeyPress {
            captured: true,
            ..KeyPress::char('a')
        };
        assert!(!needs_answer(&typed));
        assert!(
            needs_answer(&KeyPress::char('n')),
            "a free letter is a shortcut"
        );
        assert!(needs_answer(&KeyPress::plain(Key::Named(Named::Enter))));
        assert!(needs_answer(&KeyPress {
            captured: true,
            ..KeyPress::plain(Key::Named(Named::Enter))
        }));
        assert!(!needs_answer(&KeyPress::plain(Key::Named(Named::Shift))));
    }
}
