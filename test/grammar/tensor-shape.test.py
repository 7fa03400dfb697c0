# SYNTAX TEST "source.python" "tensor-shape comments (syntaxes/tensor-shape.injection.tmLanguage.json)"

## after code: brackets, names, commas
x = self.conv1(x)  # (B, C, H, W)
#                    ^ source.python comment.line.number-sign.python meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#                     ^ comment.line.number-sign.python meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                      ^ comment.line.number-sign.python meta.tensor-shape.python punctuation.separator.dimension.tensor-shape.python
#                              ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                               ^ comment.line.number-sign.python meta.tensor-shape.python punctuation.section.tensor-shape.end.python
#        ^^^^^ source.python - comment.line.number-sign.python

## multi-letter names with underscores
# (batch, seq_len, d_model)
#  ^^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#         ^^^^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                  ^^^^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python

## integers, and an arrow between two shapes
# (B, 3, 224, 224) -> (B, 64, 112, 112)
#     ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#        ^^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                  ^^ comment.line.number-sign.python keyword.operator.arrow.tensor-shape.python - meta.tensor-shape.python
#                     ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#                         ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                                     ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## square brackets
# [N, T, H]
# ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#     ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#         ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## a label before the shape stays plain comment
# shape: (B, 10)
# ^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
#        ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#            ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python

## an arrow that starts the comment, and arithmetic
x = x.flatten(1)  # -> (B, 64*7*7)
#                   ^^ comment.line.number-sign.python keyword.operator.arrow.tensor-shape.python
#                          ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                            ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#                               ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python

## floor division and products
# (B, H//2, W//2, 2*C)
#      ^^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#        ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                  ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#                   ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python

## Keras's unknown batch size
# (None, 28, 28, 1)
#  ^^^^ meta.tensor-shape.python constant.language.wildcard.tensor-shape.python
#        ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python

## -1 (inferred) and ... (any)
x = x.view(B, -1)  # (B, -1) from (..., C)
#                        ^^ meta.tensor-shape.python constant.language.wildcard.tensor-shape.python
#                                  ^^^ meta.tensor-shape.python constant.language.wildcard.tensor-shape.python
#                            ^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## * alone is any number of dimensions; *name a named one; ? unknown
# (*, H_in) and (*batch, C) and (?, 10)
#  ^ meta.tensor-shape.python constant.language.wildcard.tensor-shape.python
#     ^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                ^ meta.tensor-shape.python keyword.operator.unpacking.tensor-shape.python
#                 ^^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                                ^ meta.tensor-shape.python constant.language.wildcard.tensor-shape.python
#           ^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a single dimension with a trailing comma
# (B,)
# ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#  ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#   ^ meta.tensor-shape.python punctuation.separator.dimension.tensor-shape.python
#    ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## grouping parentheses and primes
# (B, (L - k)//s + 1, C')
#     ^ meta.tensor-shape.python punctuation.section.group.begin.tensor-shape.python
#      ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#        ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#           ^ meta.tensor-shape.python punctuation.section.group.end.tensor-shape.python
#                ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#                  ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                     ^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                       ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## dotted names
# (B, cfg.d_model)
#     ^^^^^^^^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python

## a code tag keeps its scope next to a shape
# TODO (B, C) -> (B, 10)
# ^^^^ comment.line.number-sign.python keyword.codetag.notation.python - meta.tensor-shape.python
#      ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#             ^^ keyword.operator.arrow.tensor-shape.python

## two shapes in prose; the words between stay plain
# x: [B, T] and mask: [B, T]
#    ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#           ^^^ comment.line.number-sign.python - meta.tensor-shape.python
#               ^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
#                     ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python

## the unicode arrow
# (B, C) → (B, 10)
#        ^ comment.line.number-sign.python keyword.operator.arrow.tensor-shape.python
#              ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python

## spaces inside the brackets
#( B , C )
#^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#  ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#    ^ meta.tensor-shape.python punctuation.separator.dimension.tensor-shape.python
#        ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## an integer glued to a name is a product (2C is 2*C): the integer, then the name
# (B, 2C, H/4, W/4)
# ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#     ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python - variable.parameter.dimension.tensor-shape.python
#      ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python - constant.numeric.integer.decimal.tensor-shape.python
#       ^ meta.tensor-shape.python punctuation.separator.dimension.tensor-shape.python
#          ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#           ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                 ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## after code, with a several-digit coefficient
x = self.down(x)  # (B, 16C, H/8, W/8)
#                   ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#                       ^^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                         ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                                    ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## on both sides of an arrow, in square brackets
# [B, T, 3D] -> [B, T, D]
# ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
#        ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#         ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#            ^^ keyword.operator.arrow.tensor-shape.python
#               ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
# (B, C, H, W) -> (B, 2C, H/2, W/2)
#              ^^ keyword.operator.arrow.tensor-shape.python
#                     ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                      ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python

## in arithmetic and groups, with longer and primed names
# (B, 2C_in + 1, (4C' - 1)//2)
#     ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#      ^^^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#           ^ meta.tensor-shape.python keyword.operator.arithmetic.tensor-shape.python
#                ^ meta.tensor-shape.python punctuation.section.group.begin.tensor-shape.python
#                 ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#                  ^^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python
#                            ^ meta.tensor-shape.python punctuation.section.tensor-shape.end.python

## E glued to an integer is a name when no exponent follows
# (B, 2E - 1)
#     ^ meta.tensor-shape.python constant.numeric.integer.decimal.tensor-shape.python
#      ^ meta.tensor-shape.python variable.parameter.dimension.tensor-shape.python

## ---- not shapes ----

## prose in parentheses
# (see the paper)
# ^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a single word without a comma
# TODO (later)
#      ^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a single dimension without a trailing comma
# (B)
# ^^^ comment.line.number-sign.python - meta.tensor-shape.python

## abbreviations
# (e.g., resnet)
# ^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## an expression without a comma
# dropout keeps (1 - p)
#               ^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## floats (normalisation constants)
# mean (0.485, 0.456, 0.406)
#      ^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a call
# calls forward(x, y)
#              ^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## an index
# x[0, 1] is the first row
#  ^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a call after a closing bracket
# fns[0](a, b)
#       ^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## unclosed
# (B, C
# ^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## mismatched brackets
# (B, C]
# ^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## two words in one dimension
# (a, b c)
# ^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## empty
# ()
# ^^ comment.line.number-sign.python - meta.tensor-shape.python

## a negative size other than -1
# (B, -2)
# ^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a word glued to the closing bracket
# (B, C)x
# ^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## an arrow not followed by a shape
# a -> b -> (c
#   ^^ comment.line.number-sign.python - keyword.operator.arrow.tensor-shape.python
#        ^^ comment.line.number-sign.python - keyword.operator.arrow.tensor-shape.python
#           ^^ comment.line.number-sign.python - meta.tensor-shape.python

## an ordinal and a count in prose
# (2nd pass)
# ^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
# (3 times)
# ^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## numbers with a lowercase suffix or unit are not products
# (1st, 2nd)
# ^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
# speed-up (2x, 4x)
#          ^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
# vocab (32k, 50k)
#       ^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## float literals: exponents, with e or E
# (1e-3, 0.9)
# ^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
# lr in (1e-3, 3e-4)
#       ^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python
# (1E-3, 1E5)
# ^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## other Python number literals
# (0x1F, 0xFF) and (1_000, 2_000) and (1j, 2j)
# ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a space between the integer and the name is two words
# (B, 2 C)
# ^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a glued shape is still a call or glued to a word
# f(2C, H) and (B, 2C)x
# ^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.python - meta.tensor-shape.python

## a type comment keeps MagicPython's type-hint scopes
def f(a, b):  # type: (int, int) -> None
#                     ^^^^^^^^^^ comment.line.number-sign.python meta.typehint.comment.python - meta.tensor-shape.python
#                                ^^ meta.typehint.comment.python - keyword.operator.arrow.tensor-shape.python

## brackets in code are not comments
x = (B, C)
#   ^^^^^^ source.python - comment.line.number-sign.python meta.tensor-shape.python

## a string is not a comment
s = '# (B, C)'
#      ^^^^^^ string.quoted.single.python - comment.line.number-sign.python meta.tensor-shape.python

"""A docstring: (B, C, H, W) is text here, not a comment.
#                 ^^^^^^^^^^^^ source.python - comment.line.number-sign.python meta.tensor-shape.python
and # (B, C) inside a docstring is not a comment either."""
#       ^^^^^^ source.python - comment.line.number-sign.python meta.tensor-shape.python

## after the docstring, comments work again
# (B, C)
# ^ meta.tensor-shape.python punctuation.section.tensor-shape.begin.python
