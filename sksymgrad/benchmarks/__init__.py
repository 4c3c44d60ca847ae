"""Concept-recovery benchmark: tasks, data generators, the recovery check, the runner."""

from .criteria import RecoveryResult, recovered
from .generators import make_task_data
from .tasks import TASKS, Task, get_task, list_tasks, register_task

__all__ = ["Task", "TASKS", "register_task", "get_task", "list_tasks", "make_task_data", "recovered", "RecoveryResult"]
