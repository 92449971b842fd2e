//! Where each pane goes, for a terminal size (pure geometry, shared by the
//! drawing in [`super::ui`] and the state machine's scroll bounds).

use super::form::Step;
use ratatui::layout::{Constraint, Layout, Rect};

/// The regions of the screen.
pub struct Areas {
    pub header: Rect,
    pub steps: Rect,
    /// The host summary under the steps (wide layout only).
    pub host: Option<Rect>,
    pub form: Rect,
    pub preview: Rect,
    pub why: Rect,
    pub footer: Rect,
    pub wide: bool,
}

/// The steps column's width below [`FIT_WIDTH`] columns.
pub const LEFT_MIN: u16 = 26;
/// From this width on, the host panel is as wide as its longest line needs
/// (up to a quarter of the screen, at least 32 columns; longer lines wrap),
/// so its facts are not squeezed.
pub const FIT_WIDTH: u16 = 120;

/// The regions for a terminal of `area`; `host_w` is the width the host
/// panel's longest line needs (0: the fixed width).
pub fn layout(area: Rect, host_w: u16) -> Areas {
    let why_h = if area.height >= 36 { 7 } else { 4 };
    let wide = area.width >= 110;
    let left = if area.width >= FIT_WIDTH {
        // Its lines plus the border, never less than the steps need.
        host_w
            .saturating_add(2)
            .clamp(LEFT_MIN, (area.width / 4).max(32))
    } else {
        LEFT_MIN
    };
    let [header, body, why, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(why_h),
        Constraint::Length(1),
    ])
    .areas(area);
    if wide {
        let [left, form, preview] = Layout::horizontal([
            Constraint::Length(left),
            Constraint::Percentage(36),
            Constraint::Min(20),
        ])
        .areas(body);
        let [steps, host] = Layout::vertical([
            Constraint::Length(Step::ALL.len() as u16 + 2),
            Constraint::Min(0),
        ])
        .areas(left);
        Areas {
            header,
            steps,
            host: (host.height >= 4).then_some(host),
            form,
            preview,
            why,
            footer,
            wide,
        }
    } else {
        let [steps, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        let [form, preview] =
            Layout::horizontal([Constraint::Percentage(46), Constraint::Min(20)]).areas(rest);
        Areas {
            header,
            steps,
            host: None,
            form,
            preview,
            why,
            footer,
            wide,
        }
    }
}

/// Lines of text the preview shows at this terminal size.
pub fn preview_height(width: u16, height: u16) -> u16 {
    preview_body(Rect::new(0, 0, width, height), 0, 0).height
}

/// The preview pane: the whole space between header and footer when
/// zoomed (`zoom` > 0), else its place in the layout.
pub fn preview_pane(area: Rect, zoom: u8, host_w: u16) -> Rect {
    if zoom == 0 {
        return layout(area, host_w).preview;
    }
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2),
        ..area
    }
}

/// The preview's text area (inside the border, under the tab bar).
pub fn preview_body(area: Rect, zoom: u8, host_w: u16) -> Rect {
    let p = preview_pane(area, zoom, host_w);
    Rect {
        x: p.x + 1,
        y: p.y + 3,
        width: p.width.saturating_sub(2),
        height: p.height.saturating_sub(4),
    }
}
