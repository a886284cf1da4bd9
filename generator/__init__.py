"""Render a Terraform project for an asynchronously invoked Lambda function with an S3 failure destination."""

__version__ = "0.1.0"
