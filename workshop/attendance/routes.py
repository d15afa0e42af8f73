"""Attendance pages."""

from flask import Blueprint

blueprint = Blueprint("attendance", __name__)
