"""A training run's resumable state beside its output (<model>.train-state.pt): written atomically at
every checkpoint and at Ctrl-C, read back by --resume only for the same run (its fingerprint), and
the Ctrl-C handling that stops a run at the end of an iteration so that the state is saved."""
from pathlib import Path

STATE_VERSION = 1


class TrainingError(ValueError):
    """A training configuration or state that cannot be used; the message says what to change."""


def state_path_for(output):
    output = Path(output)
    return output.with_name(output.name + ".train-state.pt")


class ctrl_c_stops:
    """While training in the main thread, the first Ctrl-C asks the run to stop at the end of the
    iteration under way (saving its state); a second one interrupts at once."""

    def __init__(self):
        self.pressed = False
        self.previous = None

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)

            def handler(signum, frame):
                if self.pressed:
                    raise KeyboardInterrupt
                self.pressed = True

            signal.signal(signal.SIGINT, handler)
        return lambda: self.pressed

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def save_run_state(path, model, optimizer, iteration, fingerprint, val_map, device):
    import io
    import json

    import torch

    from ..core.atomic import atomic_write_bytes

    state = {"version": STATE_VERSION, "iteration": int(iteration), "fingerprint": json.dumps(fingerprint),
             "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "torch_rng": torch.get_rng_state(), "val_map": -1.0 if val_map is None else float(val_map)}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def restore_run_state(path, model, optimizer, fingerprint, device):
    import json

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise TrainingError(f"The training state {path} cannot be read ({error}); delete it to start afresh.") from error
    if json.loads(state.get("fingerprint", "{}")) != fingerprint:
        raise TrainingError(f"The training state {path} belongs to a different run (other data, length, batch size "
                            "or seed): resume with the same options, or delete it to start afresh.")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    if device.type == "cuda" and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"], device)
    val_map = float(state.get("val_map", -1.0))
    return int(state["iteration"]), (None if val_map < 0 else val_map)
