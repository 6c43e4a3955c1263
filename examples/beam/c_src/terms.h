/* Terms of the BEAM NIF (terms.c): the atoms it uses, reading arguments
 * (each get_* returns 0 for a term of the wrong type or shape, and then
 * has allocated nothing), and making results and frame messages. */
#ifndef ROSTER_NIF_TERMS_H
#define ROSTER_NIF_TERMS_H

#include <erl_nif.h>
#include <roster/roster.h>

#include <stddef.h>
#include <stdint.h>

extern ERL_NIF_TERM atom_ok, atom_error, atom_badarg, atom_closed, atom_nil, atom_true,
    atom_false, atom_online, atom_offline, atom_idle, atom_dnd, atom_invisible, atom_header,
    atom_member, atom_sync, atom_insert, atom_update, atom_delete, atom_invalidate,
    atom_roster_frame, atom_none, atom_allow, atom_deny, atom_hoist, atom_view, atom_admin,
    atom_unknown, atom_roster_snapshot;

/* The keys of member_get's map: id, name, status, group, roles. */
extern ERL_NIF_TERM member_keys[5];

/* Makes the atoms above; called when the library is loaded. */
void terms_init(ErlNifEnv *env);

ERL_NIF_TERM mk_atom(ErlNifEnv *env, const char *name);
/* {:error, reason}, {:error, :badarg}, {:ok, value} */
ERL_NIF_TERM error_term(ErlNifEnv *env, ERL_NIF_TERM reason);
ERL_NIF_TERM badarg(ErlNifEnv *env);
ERL_NIF_TERM ok_term(ErlNifEnv *env, ERL_NIF_TERM value);
/* A status as its lower-case ROSTER_E* name (ok for ROSTER_OK). */
ERL_NIF_TERM status_atom(ErlNifEnv *env, int status);
/* :ok or {:error, status_atom} */
ERL_NIF_TERM status_term(ErlNifEnv *env, int status);

int get_u64(ErlNifEnv *env, ERL_NIF_TERM t, uint64_t *out);
int get_u32(ErlNifEnv *env, ERL_NIF_TERM t, uint32_t *out);
int get_i32(ErlNifEnv *env, ERL_NIF_TERM t, int32_t *out);
/* true / false */
int get_bool(ERL_NIF_TERM t, int *out);
/* :online, :idle, :dnd, :offline (:invisible as offline) */
int get_presence(ERL_NIF_TERM t, int *out);
ERL_NIF_TERM presence_atom(int status);
/* A list of ids: a fresh array in *out (enif_free it; NULL when empty). */
int get_u64_list(ErlNifEnv *env, ERL_NIF_TERM list, uint64_t **out, size_t *count);
/* A keyword list or map of roster_config fields over ROSTER_CONFIG_INIT. */
int get_config(ErlNifEnv *env, ERL_NIF_TERM t, roster_config *c);
/* [:hoist | :view | :admin] or an integer of ROSTER_ROLE_* bits. */
int get_role_flags(ErlNifEnv *env, ERL_NIF_TERM t, uint32_t *out);
/* One event of events_apply; its roles (if any) in a fresh array *roles. */
int get_event(ErlNifEnv *env, ERL_NIF_TERM t, roster_event *e, uint64_t **roles);
/* [{id, :allow | :deny}]: a fresh array in *out (enif_free it). */
int get_overwrites(ErlNifEnv *env, ERL_NIF_TERM list, roster_overwrite **out, size_t *count);

/* A group: a role id, or :online / :offline. */
ERL_NIF_TERM group_term(ErlNifEnv *env, uint64_t id);
/* {:header, group, count} | {:member, user_id, group} */
ERL_NIF_TERM row_term(ErlNifEnv *env, const roster_row *row);
ERL_NIF_TERM rows_term(ErlNifEnv *env, const roster_row *rows, size_t n);
/* [{group, count}] */
ERL_NIF_TERM groups_term(ErlNifEnv *env, const roster_group *groups, size_t n);
/* {:roster_frame, list_id, sessions, frame} */
ERL_NIF_TERM frame_message(ErlNifEnv *env, const roster_frame *frame, const uint64_t *sessions,
                           size_t session_count);
/* {:roster_frame, list_id, sessions, text}: the frame as a binary of text */
ERL_NIF_TERM frame_message_text(ErlNifEnv *env, const roster_frame *frame,
                                const uint64_t *sessions, size_t session_count, const char *text,
                                size_t len);

#endif
