"""One Excel import/export framework (openpyxl) for dealers now, products and orders later.

``spec`` describes a sheet's columns; ``template`` writes the import template and exports;
``safety`` refuses files openpyxl should never open; ``reader`` streams typed rows;
``runner`` validates, reports and writes them; ``report`` builds the error workbook.
An entity plugs in with a spec and a handler (see ``dealers``).
"""
