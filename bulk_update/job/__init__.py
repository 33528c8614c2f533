"""A run of the main job, in phases (see ``job.runner``)."""

from bulk_update.job.runner import Job

__all__ = ["Job"]
