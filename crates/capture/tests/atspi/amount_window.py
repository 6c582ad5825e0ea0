#!/usr/bin/env python3
"""A GTK 3 window that plays a Linux host POS for the AT-SPI test (atspi_e2e.rs).

    amount_window.py X Y TEXT

Shows an undecorated window at X,Y with a label and a read-only entry holding TEXT (the
total), then prints one line "ready EX EY EW EH": the entry's rectangle in screen pixels.
GTK publishes the window on the accessibility bus of $DBUS_SESSION_BUS_ADDRESS. Exits after
two minutes, or when stdin closes (the test ended).
"""

import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402


def main():
    x, y, text = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    win = Gtk.Window(title="host POS (AT-SPI test)")
    win.set_decorated(False)
    win.set_default_size(360, 140)
    win.move(x, y)
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8)
    box.set_border_width(12)
    box.pack_start(Gtk.Label(label="应收金额"), False, False, 0)
    entry = Gtk.Entry()
    entry.set_text(text)
    entry.set_editable(False)
    box.pack_start(entry, True, True, 0)
    win.add(box)
    win.connect("destroy", Gtk.main_quit)

    def report():
        gdk_window = entry.get_window()
        if gdk_window is None:
            return True
        _, ox, oy = gdk_window.get_origin()
        alloc = entry.get_allocation()
        # The entry draws into its parent's GDK window at its allocation (GTK 3 entries
        # without their own window) or into its own window at 0,0.
        if gdk_window == win.get_window():
            ox, oy = ox + alloc.x, oy + alloc.y
        print(f"ready {ox} {oy} {alloc.width} {alloc.height}", flush=True)
        return False

    win.connect("map-event", lambda *_: GLib.timeout_add(200, report) and False)
    GLib.io_add_watch(sys.stdin, GLib.IO_HUP | GLib.IO_IN, lambda *_: Gtk.main_quit())
    GLib.timeout_add_seconds(120, Gtk.main_quit)
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
