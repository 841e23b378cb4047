/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cmd.h - the subcommands; each lives in its stage's cmd-<name>.c and
 * returns an exit code (0 ok, 1 failure, 2 usage)
 */
#ifndef VMT_CMD_H
#define VMT_CMD_H

int cmd_dump(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_workload(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif /* VMT_CMD_H */
