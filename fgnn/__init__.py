"""FGNN Studio core: session graphs, FGNN / SR-GNN models, training and evaluation.

Importable and usable without Streamlit.
"""

__version__ = "0.1.0"
