/* Instructions that change protection-key rights, found as ERIM does: a
 * byte scan of every executable section at every offset, since x86 code
 * can be entered in the middle of an instruction.
 *   WRPKRU           0F 01 EF
 *   XRSTOR/XRSTOR64  [REX] 0F AE /5 with a memory operand (mod != 3;
 *                    0F AE E8..EF with mod 3 is LFENCE) */
#include <stdbool.h>
#include <string.h>

#include "gen.h"
#include "pkru_write.h"

static void found(struct gen_state *st, long oi, unsigned sec, uint64_t off,
		  const char *what)
{
	*GEN_PUSH(st->findings, st->nfindings, st->capfindings) =
		(struct gen_finding){ oi, sec, off, what };
}

void gen_scan(struct gen_state *st)
{
	if (st->cfg->scan == GEN_SCAN_OFF)
		return;
	for (size_t i = 0; i < st->nobjs; i++) {
		struct gen_obj *o = &st->objs[i];

		if (!gen_obj_in_compartment(o))
			continue;
		for (unsigned k = 1; k < o->nsecs; k++) {
			const struct gen_sec *s = &o->secs[k];
			const unsigned char *b = s->bytes;

			if (!b || !(s->flags & SHF_EXECINSTR) || s->size < 3)
				continue;
			for (uint64_t at = 0; at + 2 < s->size; at++) {
				const char *what =
					flexos_arch__pkru_write(b + at,
								s->size - at);
				bool rex_w = at && (b[at - 1] & 0xf8) == 0x48;

				if (!what)
					continue;
				if (what[0] == 'X' && rex_w)
					found(st, (long)i, k, at - 1, "XRSTOR64");
				else
					found(st, (long)i, k, at, what);
			}
		}
	}
	for (size_t f = 0; f < st->nfindings; f++) {
		const struct gen_finding *x = &st->findings[f];
		const char *where = gen_where(st, x->obj, x->sec, x->off);
		const char *comp = st->cfg->comps[st->objs[x->obj].comp].name;

		if (st->cfg->scan == GEN_SCAN_ERROR)
			gen_error(where, "%s byte sequence in compartment '%s' "
				  "could change protection-key rights",
				  x->what, comp);
		else
			gen_warning(where, "%s byte sequence in compartment "
				    "'%s' could change protection-key rights",
				    x->what, comp);
	}
}
