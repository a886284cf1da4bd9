# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_e["to_queue_and_topic"]
  to   = module.function["to_queue_and_topic"]
}

moved {
  from = module.functions_f["to_bus_and_function"]
  to   = module.function["to_bus_and_function"]
}

moved {
  from = module.functions_e["to_existing"]
  to   = module.function["to_existing"]
}

moved {
  from = module.functions_6["default_failure_bucket"]
  to   = module.function["default_failure_bucket"]
}
