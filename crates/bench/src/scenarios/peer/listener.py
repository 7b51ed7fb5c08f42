# An assistive-technology client that listens, as a screen reader does: it
# sets org.a11y.Status.IsEnabled (what Orca does when it starts; accesskit
# exposes a tree only while it is set) and registers for every object,
# window and focus event, so the AT-SPI registry tells applications someone
# listens and they send their events.
# It counts what it hears and writes the count to the file named by its
# first argument after every event (the bench reads it to show the client
# really heard the app). Run by workshop-bench inside the app's session bus.
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402

count_file = sys.argv[1]
heard = 0


def on_event(event):
    global heard
    heard += 1
    with open(count_file, "w") as f:
        f.write(str(heard))


session = Gio.bus_get_sync(Gio.BusType.SESSION, None)
session.call_sync(
    "org.a11y.Bus",
    "/org/a11y/bus",
    "org.freedesktop.DBus.Properties",
    "Set",
    GLib.Variant("(ssv)", ("org.a11y.Status", "IsEnabled", GLib.Variant("b", True))),
    None,
    Gio.DBusCallFlags.NONE,
    -1,
    None,
)
listener = Atspi.EventListener.new(on_event)
for kind in ("object:", "window:", "focus:"):
    listener.register(kind)
with open(count_file, "w") as f:
    f.write("0")
Atspi.event_main()
