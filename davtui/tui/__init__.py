"""The terminal UI (Textual): the app, the bridge running jobs for it (`worker`), its messages,
screens and widgets. Calls the engine and the store; never imports `davtui.cli`."""
