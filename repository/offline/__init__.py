"""Offline packages: a self-contained static site of approved materials for schools without internet.

``hoclieu package --grade 5 --subject toan OUT.zip`` (and ``GET /api/v1/packages/offline.zip``)
write a zip that a school copies to a USB stick or any static file server. Opened from
``file://`` it needs nothing else: HTML pages for the browse tree (grade → subject → book →
chapter → lesson) and one per material, the 360p video renditions with their listen-only
audio and captions, page images and PDFs, thumbnails, and a client-side search index in a
static JS file (accent-free matching: "phan so" finds "Phân số"). No page refers to anything
outside the package.

Layout of the zip (every path relative, so the folder works wherever it is opened)::

    index.html, search.html, lop-5/index.html, lop-5/toan/index.html, lop-5/toan/<lesson>.html
    m/<material id>.html
    assets/site.css, assets/site.js, assets/search-index.js
    files/<sha256[:2]>/<sha256>.<ext>        content-addressed media, so updates move only changes
    hoclieu-package.json                      the signed manifest

``hoclieu-package.json`` is ``{"manifest", "key_id", "signature", "keys"}``: the manifest lists the
sha256 and size of every other file and, per material, its metadata and signed approval; it is
signed (Ed25519, :mod:`repository.signing`) by the repository's current key, and ``keys`` carries
the public keys that signed it and the approvals. ``hoclieu verify-package`` checks all of it
(``--keys`` pins the keys to those published by ``GET /api/v1/keys``).

A package is deterministic: the same approved content gives the same bytes (the manifest's date
is the newest approval, the zip entries carry a fixed timestamp). An **update package**
(``--since OLD.zip``) holds only the files that differ from the old package plus the new
manifest; ``hoclieu apply-update FOLDER UPDATE.zip`` applies it in place, after which the folder
is exactly what a fresh package would unpack to.
"""
