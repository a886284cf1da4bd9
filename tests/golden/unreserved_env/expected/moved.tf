# A project of more than 100 functions calls modules/function once per group (main.tf), a smaller one
# once. When the number of functions crosses 100, either way, these blocks move each function's instance
# to its new call instead of destroying and re-creating its resources.

moved {
  from = module.functions_3["escaping_function"]
  to   = module.function["escaping_function"]
}
