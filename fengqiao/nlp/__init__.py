"""Reading residents' free text: dispute type, risk colour, extraction, masking."""
