"""The public portal's pages, all of which list or count fiches: the fiches and their exports
(fiches), the home page and the enjeux (enjeux), the structures (structures)."""
