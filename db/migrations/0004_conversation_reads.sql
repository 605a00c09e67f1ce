CREATE TABLE `conversation_reads` (
	`user_id` bigint unsigned NOT NULL,
	`peer_id` bigint unsigned NOT NULL,
	`last_read_id` bigint unsigned NOT NULL,
	CONSTRAINT `conversation_reads_user_id_peer_id_pk` PRIMARY KEY(`user_id`,`peer_id`)
);
--> statement-breakpoint
ALTER TABLE `conversation_reads` ADD CONSTRAINT `conversation_reads_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `conversation_reads` ADD CONSTRAINT `conversation_reads_peer_id_users_id_fk` FOREIGN KEY (`peer_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;