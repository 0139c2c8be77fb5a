"""What a component is: its name read as a concept of the taxonomy (normalise.py), with the words of
kitchens the taxonomy lacks (words.py). A library the roles and `kitting quote` share."""
