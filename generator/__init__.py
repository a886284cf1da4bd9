"""Render a Terraform project for an asynchronously invoked Lambda function with an S3 failure destination."""

__version__ = "0.2.0"
# The name to pip install: the import package is `generator`, but on PyPI that name is another project's.
DISTRIBUTION = "lambda-async-s3-generator"
