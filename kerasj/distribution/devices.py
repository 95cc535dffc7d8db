"""The devices a distribution runs on, and joining a multi-process cluster (`jax.distributed`).

Devices are named as Keras names them, `"<platform>:<id>"` (`"gpu:0"`, `"cpu:3"`); in a multi-process run these
are the global devices of every process.

    >>> kerasj.distribution.list_devices()        # e.g. ['cpu:0'] (or 8 names with 8 virtual CPU devices)
    >>> kerasj.distribution.get_device_count("cpu")
"""
import os

import jax
import numpy as np

from kerasj import random as random_module
from kerasj.utils import rng_utils

_ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
_ENV_NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
_ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


def _platform(device_type):
    return device_type.lower() if device_type else None


def list_devices(device_type=None):
    """The names of the available devices of one type (`"cpu"`, `"gpu"` or `"tpu"`); by default the
    accelerators if there are any, else the CPUs. Never a mix of types.

        >>> kerasj.distribution.list_devices("cpu")[0]
        'cpu:0'
    """
    return [f"{d.platform}:{d.id}" for d in jax.devices(backend=_platform(device_type))]


def get_device_count(device_type=None):
    """How many devices `list_devices(device_type)` would name.

        >>> kerasj.distribution.get_device_count() >= 1
        True
    """
    return jax.device_count(_platform(device_type))


def to_jax_device(device):
    """A jax.Device from a name such as `"gpu:1"` (or `"cpu"`, device 0), or a jax.Device unchanged."""
    if isinstance(device, jax.Device):
        return device
    name = str(device)
    platform, _, index = name.partition(":")
    try:
        index = int(index or 0)
        candidates = jax.devices(backend=platform)
    except (ValueError, RuntimeError):
        candidates, index = [], None
    for d in candidates:
        if d.platform == platform and d.id == index:
            return d
    raise ValueError(f"Device not found: {name!r}. Available devices: {list_devices()}")


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join a multi-process (multi-host) cluster through `jax.distributed.initialize`; call it first, before
    any computation. Arguments left None are read from Keras's environment variables
    `KERAS_DISTRIBUTION_JOB_ADDRESSES` (comma-separated `host:port`s; only the first, the coordinator, is used),
    `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`; left None there too, JAX finds them
    itself where the platform tells it (Cloud TPU, SLURM, ...).

        >>> # on each of 2 hosts, process_id 0 and 1:
        >>> kerasj.distribution.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=0)
    """
    if job_addresses is None:
        job_addresses = os.environ.get(_ENV_ADDRESSES) or None
    if num_processes is None and os.environ.get(_ENV_NUM_PROCESSES):
        num_processes = int(os.environ[_ENV_NUM_PROCESSES])
    if process_id is None and os.environ.get(_ENV_PROCESS_ID):
        process_id = int(os.environ[_ENV_PROCESS_ID])
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        addresses = [a.strip() for a in job_addresses.split(",")]
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(f"initialize: job_addresses names {len(addresses)} jobs ({addresses}) but "
                             f"num_processes={num_processes}; they must agree.")
        coordinator = addresses[0]
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)
    if jax.process_count() > 1:
        _agree_on_seed()


def _agree_on_seed():
    """Seed every process's RNGs with process 0's draw, so unseeded initializers create the same weights in
    every process (the replicas of a variable must agree)."""
    from jax.experimental import multihost_utils  # only multi-process runs need it

    seed = np.int32(random_module.make_default_seed())
    rng_utils.set_random_seed(int(multihost_utils.broadcast_one_to_all(seed)))


def num_processes():
    """The number of processes in the cluster (1 unless `initialize` joined one)."""
    return jax.process_count()


def process_id():
    """This process's index in the cluster, from 0."""
    return jax.process_index()
