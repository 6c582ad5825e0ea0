//! The smallest iced window: one line of text. The peer of the cashier in the start-up
//! benchmark (`benches/startup.rs`): what the GUI framework costs before any of our code.

fn update(_: &mut (), (): ()) {}

fn view(_: &()) -> iced::Element<'_, ()> {
    iced::widget::text("empty window").size(24).into()
}

fn main() -> iced::Result {
    iced::application(|| (), update, view)
        .title("empty-window")
        .run()
}
