# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_6["ingest_orders"]
  to   = module.function["ingest_orders"]
}

moved {
  from = module.functions_f["notify-customers"]
  to   = module.function["notify-customers"]
}

moved {
  from = module.functions_e["reconcile"]
  to   = module.function["reconcile"]
}
