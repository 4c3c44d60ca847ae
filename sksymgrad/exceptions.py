"""Exceptions and warnings raised by sksymgrad."""


class SksymgradError(Exception):
    """Base class of every sksymgrad error."""


class NeuronNotFoundError(SksymgradError, KeyError):
    """A neuron address does not name a unit of the network."""

    def __str__(self):
        # KeyError would quote the whole message; show it as written.
        return str(self.args[0]) if self.args else ""


class DeadNeuronError(SksymgradError, ValueError):
    """A neuron's input gradient vanishes on (almost) all points."""


class BackendUnavailableError(SksymgradError, ImportError):
    """An optional backend (e.g. PySR with Julia) cannot be used here."""


class SksymgradWarning(UserWarning):
    """Something worth knowing happened (points dropped, budget hit, ...)."""
