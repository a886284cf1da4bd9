# What a user of generator 0.2 wrote to tune the default project's function from Terraform: every
# setting that release required, none of the ones it let them leave out.
functions = {
  async_function = {
    architecture              = "x86_64"
    memory_mb                 = 256
    timeout_seconds           = 30
    reserved_concurrency      = 0
    log_retention_days        = 30
    maximum_event_age_seconds = 120
    maximum_retry_attempts    = 1
  }
}
