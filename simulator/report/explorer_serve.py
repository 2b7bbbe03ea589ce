"""The explorer in a notebook (:func:`explore`) or served as a local web page (:func:`serve`),
bound to localhost unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from simulator.report.explorer_app import ExplorerApp
from simulator.report.explorer_widgets import load_panel
from simulator.spec.scenario import Scenario


def explore(scenario: Scenario | str | Path, *, trials: int | None = None,
            seed: int | None = None):
    """The explorer for a notebook cell (display the returned object).

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario, or a scenario file.
    trials, seed : int, optional
        Default: the scenario's.

    Returns
    -------
    panel.viewable.Viewable
        The app; its ``.explorer_app`` attribute is the :class:`ExplorerApp`.
    """
    if not isinstance(scenario, Scenario):
        from simulator.io.loading import load_scenario

        scenario = load_scenario(scenario)
    app = ExplorerApp(scenario, trials=trials, seed=seed)
    layout = app.layout
    layout.explorer_app = app
    return layout


def serve(scenario: Scenario, *, address: str = "127.0.0.1", port: int = 0,
          show: bool = True, trials: int | None = None, seed: int | None = None,
          on_ready=None):
    """Serve the explorer as a local web page until interrupted (each browser tab gets its own
    explorer).

    Parameters
    ----------
    scenario : Scenario
    address : str
        Interface to bind; localhost unless told otherwise.
    port : int
        0 picks a free port.
    show : bool
        Open a browser tab.
    on_ready : callable, optional
        Called with the page's address once the server listens.
    """
    pn = load_panel()

    def page():
        return ExplorerApp(scenario, trials=trials, seed=seed).layout

    if port == 0:
        port = free_port(address)
    # pages may open the websocket only from the address served (any host name of this
    # machine when listening on all interfaces), never from another site's page
    if address in ("0.0.0.0", "::", ""):
        origins = [f"*:{port}"]
    else:
        origins = [f"{address}:{port}"] + ([f"localhost:{port}"] if address == "127.0.0.1"
                                           else [])
    server = pn.serve({"/": page}, address=address, port=port, show=False, start=False,
                      title=f"explore {scenario.name}", websocket_origin=origins,
                      threaded=False, verbose=False)
    url = f"http://{address}:{port}/"
    if on_ready is not None:
        on_ready(url)
    if show:
        import webbrowser

        webbrowser.open(url)
    server.start()
    server.io_loop.start()


def free_port(address: str = "127.0.0.1") -> int:
    """A port nobody listens on at ``address`` now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])
