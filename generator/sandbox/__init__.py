"""A local AWS for trying a rendered project: moto with its gaps fixed, and Lambda's asynchronous delivery."""
