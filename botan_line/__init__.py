"""botan-line: three VTuber sisters chatting with their fans on LINE."""

__version__ = "0.1.0"
